import { decode, isNull, mapEntries, text } from '../resp/decode.js';
import { PROTO_MAX_BULK_LEN } from '../resp/errors.js';
import { T_ERROR } from '../resp/types.js';

/**
 * What the nodes accept in a request besides its command: read from the seed at startup, so that
 * the tunnel refuses, as a node would, what a node would refuse. A request the tunnel passed but a
 * node refused as it read it would make the node close the connection, and shared connections
 * carry other clients' requests.
 */
export interface RequestLimits {
  /** The longest argument a node takes: its `proto-max-bulk-len`. */
  maxBulkBytes: number;
}

/** What a node that does not say (CONFIG refused or renamed, as managed services do) is taken to accept. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxBulkBytes: PROTO_MAX_BULK_LEN };

/** The command that asks a node for its limits (see limitsOf). */
export const ASK_LIMITS = ['CONFIG', 'GET', 'proto-max-bulk-len'];

/**
 * The limits in a node's reply to ASK_LIMITS (a RESP2 pair list or a RESP3 map), or a reason they
 * are not there: an error reply (CONFIG not allowed, or renamed) or a value that is not a number.
 */
export function limitsOf(reply: Buffer): RequestLimits | { unknown: string } {
  if (reply[0] === T_ERROR)
    return { unknown: reply.toString('latin1', 1, Math.min(reply.length, 200)).trim() };
  try {
    const root = decode(reply);
    const entry = mapEntries(reply, root)?.find(([name]) => name.toLowerCase() === 'proto-max-bulk-len');
    const value = entry && !entry[1].children && !isNull(entry[1]) ? text(reply, entry[1]) : '';
    const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n <= 0)
      return { unknown: `proto-max-bulk-len is ${value || 'not given'}` };
    return { maxBulkBytes: n };
  } catch (e) {
    return { unknown: `the reply to CONFIG GET is not RESP (${String(e)})` };
  }
}
