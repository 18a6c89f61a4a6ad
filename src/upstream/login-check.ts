import { type AuthAttempt, authAttempt, helloAttempt } from '../protocol/local-auth.js';
import { type Login, loginOf } from '../protocol/login.js';
import { errorReply } from '../resp/encode.js';
import { isErrorType } from '../resp/types.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SharedUpstreams } from './shared-pool.js';

/** AUTH's own arity error, as a node gives it. */
const AUTH_ARITY = errorReply("ERR wrong number of arguments for 'auth' command");

/** The credentials of an AUTH or HELLO … AUTH request; an error reply for a malformed AUTH; null: none. */
export function loginAttempt(name: string, args: Buffer[]): AuthAttempt | Buffer | null {
  if (name === 'auth') return authAttempt(args) ?? AUTH_ARITY;
  return name === 'hello' ? helloAttempt(args) : null;
}

/**
 * A client's login (smart mode, or pinned mode's shared lane), checked by a node: the AUTH goes to `entry` on the shared connection of
 * that login (opening one logs in with it, so a node checks the password either way), and the
 * node's reply is the client's. `done` gets the login the client has from now on (null: the
 * tunnel's, for the tunnel's own credential), or undefined when the node refused it: the client
 * stays as it was, as on a node.
 */
export function checkLogin(
  shared: SharedUpstreams,
  entry: NodeEntry | undefined,
  protocol: number,
  attempt: AuthAttempt,
  tunnelCredential: boolean,
  done: (login: Login | null | undefined, reply: Buffer) => void,
): void {
  if (!entry) return done(undefined, errorReply('CLUSTERDOWN redis-cluster-tunnel: no master to log in at'));
  const asked = loginOf(attempt);
  const login = tunnelCredential ? null : asked;
  const upstream = shared.get(entry, protocol, login);
  upstream.send(asked.auth, (frame, failure) => {
    if (frame) return done(isErrorType(frame[0]) ? undefined : login, frame);
    const reply =
      upstream.loginRefusal ?? errorReply(`CLUSTERDOWN redis-cluster-tunnel: ${failure ?? 'no reply'}`);
    done(undefined, reply);
  });
}
