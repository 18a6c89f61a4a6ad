import { decode, text } from '../resp/decode.js';
import { aggregateHeader, bulkString, encodeCommand, errorReply } from '../resp/encode.js';
import { T_ARRAY, isErrorType } from '../resp/types.js';
import type { NodeTable } from '../topology/node-table.js';
import type { Dispatcher } from './dispatch.js';

/**
 * SCAN over every master behind one cursor. The client's cursor is `nodeCursor × M + index`, M
 * being the number of masters (in slot order) and index the master being walked: a decimal number
 * like any cursor, and 0 only when the last master is done. Each master's SCAN keeps its own
 * guarantee (every key present throughout is returned), so the whole walk keeps it; a change of
 * masters during a walk may repeat keys, as Redis allows across a rehash.
 */
export function scanStep(
  dispatcher: Dispatcher,
  table: NodeTable,
  args: Buffer[],
  done: (reply: Buffer) => void,
): void {
  const masters = table.masters();
  let cursor: bigint;
  try {
    cursor = BigInt(args[1]?.toString('latin1') ?? 'x');
    if (cursor < 0n) throw new Error('negative');
  } catch {
    return done(errorReply('ERR invalid cursor'));
  }
  const m = BigInt(masters.length);
  if (m === 0n) return done(errorReply('CLUSTERDOWN redis-cluster-tunnel: no master serves slots'));
  const index = Number(cursor % m);
  const nodeCursor = cursor / m;
  const request = encodeCommand([args[0], nodeCursor.toString(), ...args.slice(2)]);
  dispatcher.sendTo(masters[index], request, (reply) => {
    if (isErrorType(reply[0])) return done(reply);
    const root = decode(reply);
    const [next, keys] = root.children ?? [];
    if (!next || !keys) return done(reply);
    const n = BigInt(text(reply, next));
    let out: bigint;
    if (n !== 0n) out = n * m + BigInt(index);
    else out = index + 1 < masters.length ? BigInt(index + 1) : 0n;
    done(
      Buffer.concat([
        aggregateHeader(T_ARRAY, 2),
        bulkString(out.toString()),
        reply.subarray(keys.start, keys.end),
      ]),
    );
  });
}
