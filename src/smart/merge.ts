import { decode, integer, isNull } from '../resp/decode.js';
import { aggregateHeader, integerReply } from '../resp/encode.js';
import type { Merge } from '../protocol/command-policy.js';
import { T_ARRAY, T_INTEGER, T_VERBATIM, isErrorType } from '../resp/types.js';

export type { Merge };

/** The first error among the replies, if any: a merged reply is only as good as every part. */
function firstError(replies: Buffer[]): Buffer | undefined {
  return replies.find((r) => isErrorType(r[0]));
}

/** The elements of an array reply, as byte ranges of the frame. */
function elements(frame: Buffer): Buffer[] {
  const root = decode(frame);
  return (root.children ?? []).map((c) => frame.subarray(c.start, c.end));
}

function array(items: Buffer[]): Buffer {
  return Buffer.concat([aggregateHeader(T_ARRAY, items.length), ...items]);
}

/**
 * Merges part replies. `order[i]` lists, for part i, the positions its elements take in the
 * client's reply (for key-order merges).
 */
export function merge(how: Merge, replies: Buffer[], order: number[][] = []): Buffer {
  const error = firstError(replies);
  if (error) return error;
  switch (how) {
    case 'sum':
    case 'min': {
      const values = replies.map((r) => (r[0] === T_INTEGER ? integer(r, decode(r)) : NaN));
      if (values.some(Number.isNaN)) return replies[0];
      return integerReply(how === 'sum' ? values.reduce((a, b) => a + b, 0) : Math.min(...values));
    }
    case 'all-ok':
      return replies[0];
    case 'concat':
      return array(replies.flatMap(elements));
    case 'and': {
      const lists = replies.map((r) => elements(r).map((e) => integer(e, decode(e))));
      const and = lists[0].map((_, i) => (lists.every((l) => l[i] === 1) ? 1 : 0));
      return array(and.map(integerReply));
    }
    case 'first-non-null':
      return replies.find((r) => !isNullReply(r)) ?? replies[0];
    case 'info':
      return mergeInfo(replies);
    case 'key-order': {
      const out: Buffer[] = [];
      replies.forEach((r, part) => elements(r).forEach((e, i) => (out[order[part][i]] = e)));
      return array(out);
    }
  }
}

/** `$-1`, `*-1` or RESP3 `_`. */
export function isNullReply(r: Buffer): boolean {
  return isNull(decode(r));
}

/** `db0:keys=10,expires=2,avg_ttl=300` lines, summed per db (avg_ttl weighted by expiring keys). */
function mergeInfo(replies: Buffer[]): Buffer {
  const texts = replies.map((r) => {
    const root = decode(r);
    const body = r.toString('latin1', root.valueStart, root.valueEnd);
    return r[0] === T_VERBATIM ? body.slice(4) : body;
  });
  const dbs = new Map<string, { keys: number; expires: number; ttlTotal: number }>();
  for (const t of texts) {
    for (const m of t.matchAll(/^(db\d+):keys=(\d+),expires=(\d+),avg_ttl=(\d+)/gm)) {
      const d = dbs.get(m[1]) ?? { keys: 0, expires: 0, ttlTotal: 0 };
      d.keys += Number(m[2]);
      d.expires += Number(m[3]);
      d.ttlTotal += Number(m[3]) * Number(m[4]);
      dbs.set(m[1], d);
    }
  }
  const keyspace = [...dbs.entries()].map(
    ([db, d]) =>
      `${db}:keys=${d.keys},expires=${d.expires},avg_ttl=${d.expires ? Math.round(d.ttlTotal / d.expires) : 0}`,
  );
  const first = texts[0];
  const merged = /^# Keyspace\r?$/m.test(first)
    ? first.replace(
        /(^# Keyspace\r?\n)(?:db\d+:[^\n]*\n)*/m,
        (_, head: string) => head + keyspace.map((l) => `${l}\r\n`).join(''),
      )
    : first;
  const payload = replies[0][0] === T_VERBATIM ? `txt:${merged}` : merged;
  const type = String.fromCharCode(replies[0][0]);
  return Buffer.from(`${type}${Buffer.byteLength(payload, 'latin1')}\r\n${payload}\r\n`, 'latin1');
}
