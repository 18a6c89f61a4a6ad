import { appendFileSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { splitArgs } from './split-args.js';

/** Lines kept in the history file and in memory. */
export const HISTORY_LINES = 1000;

/** Where the prompt's history is kept: REDIS_CLUSTER_TUNNEL_HISTORY, else a file in the home folder. */
export function historyPath(env: NodeJS.ProcessEnv): string {
  return env.REDIS_CLUSTER_TUNNEL_HISTORY || join(homedir(), '.redis-cluster-tunnel_history');
}

/** The history file's lines, newest first (as readline keeps them); none when there is no file. */
export function loadHistory(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).slice(-HISTORY_LINES).reverse();
  } catch {
    return [];
  }
}

/** Adds a line to the file, unless it carries a secret (see carriesSecret). */
export function remember(path: string, line: string): void {
  if (carriesSecret(line)) return;
  try {
    appendFileSync(path, line.replace(/\n/g, ' ') + '\n', { mode: 0o600 });
  } catch {
    // A history that cannot be written is not worth stopping for.
  }
}

/**
 * Whether a line sends a password or token: AUTH, HELLO … AUTH, ACL SETUSER, CONFIG SET of
 * requirepass/masterauth/masteruser, MIGRATE … AUTH/AUTH2 (the lines redis-cli keeps out of its
 * history too), also after an `@node` prefix or a repeat count. A line that cannot be split is
 * treated as secret.
 */
export function carriesSecret(line: string): boolean {
  const rest = line.trim().replace(/^@\S*\s*/, '');
  const args = splitArgs(rest);
  if (args === null) return true;
  const w = args.map((a) => a.toString('utf8').toLowerCase());
  if (w.length > 1 && /^\d+$/.test(w[0])) w.shift();
  const [a = '', b = ''] = w;
  if (a === 'auth') return true;
  if (a === 'acl' && b === 'setuser') return true;
  // CONFIG SET takes several parameter-value pairs (7.0+).
  if (a === 'config' && b === 'set')
    return w.slice(2).some((p, i) => i % 2 === 0 && ['masterauth', 'masteruser', 'requirepass'].includes(p));
  if (a === 'hello' || a === 'migrate') return w.includes('auth') || w.includes('auth2');
  return false;
}
