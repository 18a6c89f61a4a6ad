import { encodeCommand, errorReply } from '../resp/encode.js';
import { type AuthAttempt, authAttempt } from './local-auth.js';
import { requestArgs } from '../rewrite/requests.js';
import { helloOnlyNames, helloVersion } from './hello.js';

/**
 * What pinned mode's shared lane does with a request the CommandPolicy does not share. Most take
 * the client's own connection; a few that client libraries send on every new connection are
 * served on the shared one instead, so those clients keep sharing:
 * - `label`: CLIENT SETNAME, CLIENT SETINFO and HELLO in the lane's protocol without AUTH only
 *   label the connection. They go on as plain requests and are recorded under `key`; a client
 *   that later takes a connection of its own has them sent there first (replies dropped), so the
 *   CLIENT commands that need one see what it set. The shared connection keeps the last label.
 * - `protocol`: HELLO 2 or 3 (without AUTH) to the other protocol moves the client to the node's
 *   shared connection in that protocol once its requests in flight are answered; HELLO is then
 *   sent there (its reply is the node's) and recorded as a label.
 * - `login`: AUTH, once every earlier request is answered, is checked by a node on the shared
 *   connection of that login (see checkLogin); the client's later requests take that login's
 *   shared connections. A refused AUTH leaves the client as it was.
 * - `answer`: the tunnel answers in order, and with `close`, ends the client after the answer.
 * - `plain`: HELLO with no protocol, or one the node will refuse, changes nothing.
 * - `drain`: a shared request that waits until the client's requests in flight are answered, then
 *   goes on (a write behind reads: it changes shared connections, see SharedLane).
 */
export type SharedStep =
  | { step: 'pin' }
  | { step: 'login'; attempt: AuthAttempt }
  | { step: 'plain' }
  | { step: 'drain' }
  | { step: 'label'; key: string }
  | { step: 'protocol'; protocol: 2 | 3 }
  | { step: 'answer'; reply: Buffer; close: boolean };

const PIN: SharedStep = { step: 'pin' };
const PLAIN: SharedStep = { step: 'plain' };
const QUIT: SharedStep = { step: 'answer', reply: Buffer.from('+OK\r\n'), close: true };

/**
 * Redis Enterprise's maintenance notifications are pushes that name node addresses: on a shared
 * connection they would reach no one, and the tunnel does not rewrite them. Clients that ask by
 * default (node-redis) go on without them when the server says no.
 */
const NO_MAINTENANCE = errorReply(
  'ERR maintenance notifications are not passed through the tunnel (they name node addresses)',
);

/**
 * The lane's step for `request` (whole), a command called `name` that is not shared as is. `read`:
 * its arguments, when the parser has them at hand (else they are read from `request`, once).
 */
export function sharedStep(
  name: string,
  request: Buffer,
  protocol: number,
  read: Buffer[] | null = null,
): SharedStep {
  if (name === 'quit') return QUIT;
  if (name !== 'auth' && name !== 'client' && name !== 'hello') return PIN;
  const words = read ?? requestArgs(request);
  // AUTH with the wrong number of arguments is the node's to refuse, on the client's own. The
  // password is copied: the request is lent, and the check may wait for replies in flight.
  if (name === 'auth') {
    const attempt = authAttempt(words);
    return attempt
      ? { step: 'login', attempt: { ...attempt, password: Buffer.from(attempt.password) } }
      : PIN;
  }
  const args = words.map((a) => a.toString('latin1').toLowerCase());
  if (name === 'client') {
    const sub = args[1];
    if (sub === 'setname') return { step: 'label', key: sub };
    // One SETINFO per attribute (LIB-NAME, LIB-VER): each is its own label.
    if (sub === 'setinfo' && args.length === 4) return { step: 'label', key: `${sub} ${args[2]}` };
    if (sub === 'maint_notifications') return { step: 'answer', reply: NO_MAINTENANCE, close: false };
    return PIN;
  }
  // HELLO [protover [AUTH username password] [SETNAME clientname]]
  if (args.includes('auth')) return PIN;
  // Options other than good names (words the node refuses, perhaps after taking some, or a name
  // it refuses): the node reads them on the client's own connection, and says in its reply
  // whether the protocol changed.
  if (!helloOnlyNames(words)) return PIN;
  if (args.length === 1) return PLAIN;
  const asked = helloVersion(args[1]);
  if (asked === 0) return PLAIN;
  return asked === protocol ? { step: 'label', key: 'hello' } : { step: 'protocol', protocol: asked };
}

/**
 * An inline command line as the multibulk request made of `words` (the line as the parser split
 * it), or null when the line holds a NUL: the node's splitter stops there, the tunnel's does not.
 * Unbalanced quotes and lines over MAX_INLINE_BYTES never come here: the parser refuses them, as
 * the node does.
 */
export function multibulkOf(line: Buffer, words: Buffer[]): Buffer | null {
  return line.includes(0) ? null : encodeCommand(words);
}
