import { decode, integer, text } from '../resp/decode.js';
import { T_ERROR } from '../resp/types.js';
import { quote } from './format.js';
import type { ShellSession } from './session.js';

/** Keys asked about per round trip (TYPE, MEMORY USAGE and a length each), and SCAN's COUNT. */
const BATCH = 500;

/** The command that measures a key's length, by type: bytes for strings, elements otherwise. */
const LENGTH: Record<string, string> = {
  string: 'STRLEN',
  list: 'LLEN',
  set: 'SCARD',
  zset: 'ZCARD',
  hash: 'HLEN',
  stream: 'XLEN',
};

export interface BigKey {
  key: Buffer;
  type: string;
  /** MEMORY USAGE, bytes. */
  bytes: number;
  /** Bytes of a string, elements of anything else. */
  length: number;
  node: string;
}

/**
 * Every key of every master, by SCAN on each master in turn, ranked by MEMORY USAGE: the `top`
 * largest of the whole cluster, largest first (redis-cli ranks one node only). Each master's keys
 * are measured in pipelined batches through the routed connection.
 */
export async function biggestKeys(
  session: ShellSession,
  top: number,
): Promise<{ keys: BigKey[]; scanned: number; masters: number }> {
  const masters = session.tunnel.table.masters();
  const found: BigKey[] = [];
  let scanned = 0;
  for (const master of masters) {
    let cursor = '0';
    do {
      const reply = await session.sendTo(
        master,
        ['SCAN', cursor, 'COUNT', String(BATCH)].map((a) => Buffer.from(a)),
      );
      if (reply[0] === T_ERROR)
        throw new Error(`${master.target.label}: SCAN: ${reply.toString('latin1').trim()}`);
      const root = decode(reply);
      const [next, list] = root.children ?? [];
      cursor = text(reply, next);
      const keys = (list.children ?? []).map((k) => reply.subarray(k.valueStart, k.valueEnd));
      scanned += keys.length;
      found.push(...(await measure(session, keys, master.target.label)));
      found.sort((a, b) => b.bytes - a.bytes);
      found.length = Math.min(found.length, top);
    } while (cursor !== '0');
  }
  return { keys: found, scanned, masters: masters.length };
}

async function measure(session: ShellSession, keys: Buffer[], node: string): Promise<BigKey[]> {
  const ask = (...args: Array<string | Buffer>): Promise<Buffer> =>
    session.send(args.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(a))));
  const types = await Promise.all(keys.map((k) => ask('TYPE', k)));
  const sizes = await Promise.all(keys.map((k) => ask('MEMORY', 'USAGE', k)));
  const typeNames = types.map((t) => t.toString('latin1', 1, t.length - 2));
  const lengths = await Promise.all(
    keys.map((k, i) =>
      LENGTH[typeNames[i]] ? ask(LENGTH[typeNames[i]], k) : Promise.resolve(Buffer.from(':0\r\n')),
    ),
  );
  const number = (frame: Buffer): number => (frame[0] === T_ERROR ? 0 : integer(frame, decode(frame)) || 0);
  return keys.map((key, i) => ({
    key,
    type: typeNames[i],
    bytes: number(sizes[i]),
    length: number(lengths[i]),
    node,
  }));
}

/** The ranking as a table: rank, memory, type, length, key (quoted as redis-cli quotes), node. */
export function formatBigKeys(r: { keys: BigKey[]; scanned: number; masters: number }): string {
  const head = `${r.scanned} keys scanned on ${r.masters} master${r.masters === 1 ? '' : 's'}; the ${r.keys.length} largest by MEMORY USAGE:\n`;
  const rows = r.keys.map((k, i) => [
    String(i + 1),
    `${k.bytes} B`,
    k.type,
    k.type === 'string' ? `${k.length} bytes` : `${k.length} items`,
    quote(k.key.toString('latin1')),
    k.node,
  ]);
  const titles = ['#', 'MEMORY', 'TYPE', 'LENGTH', 'KEY', 'NODE'];
  const widths = titles.map((t, c) => Math.max(t.length, ...rows.map((row) => row[c].length)));
  const line = (row: string[]): string =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd() + '\n';
  return head + line(titles) + rows.map(line).join('');
}
