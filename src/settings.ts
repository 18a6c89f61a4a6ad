import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ConnectSettings } from './net/connect.js';
import type { TunnelOptions } from './options.js';

/** A startup failure, already worded as one line naming what failed and why. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Options → how every node connection is made (certificate files read once, here). */
export function connectSettingsFrom(o: TunnelOptions): ConnectSettings {
  const read = (what: string, file: string | undefined): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new StartupError(
        `cannot read the ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  if (Boolean(o.certFile) !== Boolean(o.keyFile)) throw new StartupError('--cert and --key go together');
  return {
    tls: o.tls,
    ca: read('CA certificate', o.caFile),
    cert: read('client certificate', o.certFile),
    key: read('client key', o.keyFile),
    insecure: o.insecure,
    user: o.user,
    password: o.password,
    connectTimeoutMs: o.connectTimeoutMs,
  };
}

/**
 * Runs --auth-command (through /bin/sh) and returns its output, trimmed, as the password: for
 * short-lived tokens (ElastiCache IAM, Azure Entra). The output is a secret: errors quote the
 * command's exit status and stderr, never its stdout.
 */
export function runAuthCommand(command: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', command],
      { timeout: timeoutMs, maxBuffer: 1 << 20 },
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
