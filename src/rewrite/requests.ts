import { Cursor } from '../resp/cursor.js';
import { encodeCommand } from '../resp/encode.js';
import { splitInline } from '../resp/inline.js';
import { T_ARRAY } from '../resp/types.js';
import { parsePort, unbracket } from '../topology/endpoint.js';

/**
 * Requests that send node addresses *to* the server. A client behind the tunnel learned those
 * addresses from rewritten replies, so they name local listeners; the server needs the real
 * node. Used by `redis-cli --cluster reshard | rebalance | fix` (MIGRATE) and by anyone running
 * CLUSTER MEET or REPLICAOF through the tunnel.
 */

/** Local listener → the node's real address; undefined for anything that is not a listener. */
export type ToRemote = (host: string, port: number) => { host: string; port: number } | undefined;

export interface RequestRewriteContext {
  toRemote: ToRemote;
  /**
   * Credentials for MIGRATE when the client gives none: the source node opens its own
   * connection to the target, which wants AUTH. Goes on the wire only.
   */
  migrateAuth?: { user?: string; password: string };
}

/** Command names whose requests may need this rewrite (lower case). */
export const ADDRESS_COMMANDS = ['migrate', 'replicaof', 'slaveof', 'cluster'] as const;

/**
 * Splits a complete multibulk or inline request into its arguments. The request parser framed it
 * already; this second read, with the same checks as every frame reader, happens only for the
 * rare requests that carry addresses, so the streaming parser never has to keep arguments.
 */
export function requestArgs(bytes: Buffer): Buffer[] {
  if (bytes[0] !== T_ARRAY) return splitInline(bytes.toString('latin1')).map((w) => Buffer.from(w, 'latin1'));
  const c = new Cursor(bytes);
  const count = c.header();
  const args: Buffer[] = [];
  for (let i = 0; i < count; i++) args.push(c.bulk());
  return args;
}

const lower = (b: Buffer | undefined): string => (b ? b.toString('latin1').toLowerCase() : '');

/** Replaces args[hostIndex], args[hostIndex + 1] when they name a local listener. */
function mapAddress(args: Buffer[], hostIndex: number, toRemote: ToRemote): boolean {
  const host = args[hostIndex]?.toString('latin1');
  const portText = args[hostIndex + 1]?.toString('latin1');
  const port = portText === undefined ? null : parsePort(portText);
  if (host === undefined || port === null) return false;
  const remote = toRemote(unbracket(host), port);
  if (!remote) return false;
  args[hostIndex] = Buffer.from(remote.host, 'latin1');
  args[hostIndex + 1] = Buffer.from(String(remote.port), 'latin1');
  return true;
}

/** MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key...] */
function rewriteMigrate(args: Buffer[], ctx: RequestRewriteContext): boolean {
  if (args.length < 6 || !mapAddress(args, 1, ctx.toRemote)) return false;
  let keysAt = args.length;
  let hasAuth = false;
  for (let i = 6; i < args.length; i++) {
    const option = lower(args[i]);
    if (option === 'keys') {
      keysAt = i;
      break;
    }
    if (option === 'auth') {
      hasAuth = true;
      i += 1;
    } else if (option === 'auth2') {
      hasAuth = true;
      i += 2;
    }
  }
  if (!hasAuth && ctx.migrateAuth) {
    const { user, password } = ctx.migrateAuth;
    const auth = user ? ['AUTH2', user, password] : ['AUTH', password];
    args.splice(keysAt, 0, ...auth.map((a) => Buffer.from(a)));
  }
  return true;
}

/**
 * Rewrites one complete request if it sends a local listener address to the server; returns the
 * new bytes, or null to forward the request as it was.
 */
export function rewriteAddressRequest(bytes: Buffer, ctx: RequestRewriteContext): Buffer | null {
  const args = requestArgs(bytes);
  const name = lower(args[0]);
  let changed = false;
  if (name === 'migrate') changed = rewriteMigrate(args, ctx);
  else if (name === 'replicaof' || name === 'slaveof') changed = mapAddress(args, 1, ctx.toRemote);
  else if (name === 'cluster' && lower(args[1]) === 'meet') changed = mapAddress(args, 2, ctx.toRemote);
  return changed ? encodeCommand(args) : null;
}
