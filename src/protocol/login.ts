import { createHash } from 'node:crypto';
import { encodeCommand } from '../resp/encode.js';
import type { AuthAttempt } from './local-auth.js';

/**
 * A login a client made itself (AUTH or HELLO … AUTH) that a node accepted: the connections that
 * serve that client log in with it. `key` names the user and password together (a hash: it is
 * compared, never shown), so only clients that logged in with the same credential share a
 * connection, and nothing is shared on a password no node has checked.
 */
export interface Login {
  readonly key: string;
  /** `AUTH user password`, for each connection opened for this login. */
  readonly auth: Buffer;
}

/** The user an attempt names: `default` when AUTH gives the password alone. */
function userOf(attempt: AuthAttempt): string {
  return attempt.user ?? 'default';
}

export function loginOf(attempt: AuthAttempt): Login {
  const user = userOf(attempt);
  const key = createHash('sha256').update(user).update('\0').update(attempt.password).digest('hex');
  return { key, auth: encodeCommand([Buffer.from('AUTH'), Buffer.from(user), attempt.password]) };
}

/** Whether the attempt is the tunnel's own credential (the same user and password). */
export function isCredential(
  attempt: AuthAttempt,
  user: string | undefined,
  password: string | undefined,
): boolean {
  return (
    password !== undefined &&
    userOf(attempt) === (user ?? 'default') &&
    attempt.password.equals(Buffer.from(password))
  );
}
