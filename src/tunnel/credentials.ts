import { execFile } from 'node:child_process';
import { describeError, type Logger } from '../log.js';
import { encodeCommand } from '../resp/encode.js';
import type { AuthAttempt } from '../protocol/local-auth.js';
import { isCredential } from '../protocol/login.js';
import { StartupError } from './errors.js';

/** How long --auth-command may run, and how much it may print. */
const AUTH_COMMAND_TIMEOUT_MS = 30_000;
const AUTH_COMMAND_MAX_OUTPUT = 1 << 20;

export interface CredentialOptions {
  /** ACL user; with no user, AUTH sends the password alone (the `default` user). */
  user?: string;
  password?: string;
  /** A command whose output is the password, re-run every `refreshMs` (short-lived tokens). */
  command?: string;
  refreshMs: number;
}

/**
 * The tunnel's credential: the password or token, its refresh by --auth-command, and the AUTH
 * request built from it. Connections read the current one from here; nothing else holds a copy.
 */
export class Credentials {
  private readonly o: CredentialOptions;
  private readonly log: Logger;
  private password: string | undefined;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(auth: Buffer) => void>();

  constructor(o: CredentialOptions, log: Logger) {
    this.o = o;
    this.password = o.password;
    this.log = log.child({ component: 'credentials' });
  }

  /** Runs --auth-command now (a failure stops startup) and every refresh interval after. */
  async start(): Promise<void> {
    const command = this.o.command;
    if (!command) return;
    try {
      this.password = await runAuthCommand(command);
    } catch (e) {
      throw new StartupError('auth-command', describeError(e));
    }
    this.timer = setInterval(() => {
      runAuthCommand(command).then(
        (token) => this.set(token),
        (e: unknown) => this.log.warn(`${describeError(e)}; new connections keep using the previous token`),
      );
    }, this.o.refreshMs);
    this.timer.unref();
  }

  /**
   * A new credential. New connections authenticate with it; open ones re-authenticate with it
   * (Azure Entra disconnects a connection whose token expires without a fresh AUTH). A worker
   * process hears of it from the primary, which runs --auth-command.
   */
  set(password: string): void {
    this.password = password;
    const auth = this.authRequest() as Buffer;
    for (const fn of this.listeners) fn(auth);
  }

  /** Calls `fn` with the new AUTH request after every refresh. */
  onRefresh(fn: (auth: Buffer) => void): void {
    this.listeners.add(fn);
  }

  /** `AUTH [user] password` with the current credential; null when there is none. */
  authRequest(): Buffer | null {
    if (!this.password) return null;
    return encodeCommand(this.o.user ? ['AUTH', this.o.user, this.password] : ['AUTH', this.password]);
  }

  /** Whether a client's login attempt is the tunnel's own credential. */
  isOwn(attempt: AuthAttempt): boolean {
    return isCredential(attempt, this.o.user, this.password);
  }

  /** The current credential for MIGRATE, which opens its own connection to the target node. */
  migrateAuth(): { user?: string; password: string } | undefined {
    return this.password ? { user: this.o.user, password: this.password } : undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/**
 * Runs --auth-command (through /bin/sh) and returns its output, trimmed, as the password: for
 * short-lived tokens (ElastiCache IAM, Azure Entra). The output is a secret: errors quote the
 * command's exit status and stderr, never its stdout.
 */
export function runAuthCommand(command: string, timeoutMs = AUTH_COMMAND_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      { timeout: timeoutMs, maxBuffer: AUTH_COMMAND_MAX_OUTPUT },
      (err, stdout, stderr) => {
        if (err) {
          const why = err.killed ? `no output within ${timeoutMs} ms` : `exit status ${String(err.code)}`;
          const detail = String(stderr).trim().split('\n')[0];
          return reject(new Error(`--auth-command failed: ${why}${detail ? `: ${detail}` : ''}`));
        }
        const token = String(stdout).trim();
        if (!token) return reject(new Error('--auth-command printed nothing'));
        resolve(token);
      },
    );
  });
}
