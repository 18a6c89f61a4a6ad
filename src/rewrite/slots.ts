import { Cursor } from '../resp/cursor.js';
import { type Edit, aggregateHeader } from '../resp/encode.js';
import { T_ARRAY, T_MAP, isAggregate } from '../resp/types.js';
import { encodedHost, encodedPort } from '../topology/endpoint.js';
import type { AddressLookup, NodeRef } from '../topology/types.js';
import type { RewriteOutcome } from './outcome.js';

/**
 * CLUSTER SLOTS, RESP2 and RESP3:
 *   *<ranges>  *<2+n> :start :end <node>...
 *   <node> = *2 host port (pre-4.0) | *3 host port id (6.2) | *4 host port id meta (7.0+)
 * host is an IP, a hostname, `?`, an empty string or null (unknown endpoint). The meta map is `*2k`
 * in RESP2 and `%k` in RESP3 with `ip` and `hostname` keys. A node entry never gains elements
 * (go-redis refuses more than 4); `hostname` is dropped from the meta map, `ip` is replaced.
 *
 * Clients send CLUSTER SLOTS on every topology refresh, so this walks the frame with a cursor
 * instead of decoding it into a tree.
 */
export function rewriteSlots(buf: Buffer, start: number, lookup: AddressLookup, out: RewriteOutcome): void {
  if (buf[start] !== T_ARRAY) return;
  const c = new Cursor(buf, start);
  const ranges = c.aggregateCount();
  for (let r = 0; r < ranges; r++) {
    if (c.peek() !== T_ARRAY) {
      c.skip();
      continue;
    }
    const n = c.aggregateCount();
    for (let i = 0; i < n; i++) {
      if (i >= 2) rewriteSlotsNode(c, lookup, out);
      else c.skip();
    }
  }
}

const EMPTY = Buffer.alloc(0);

interface MetaPair {
  key: string | null;
  keyStart: number;
  valueStart: number;
  valueEnd: number;
}

function rewriteSlotsNode(c: Cursor, lookup: AddressLookup, out: RewriteOutcome): void {
  if (c.peek() !== T_ARRAY) return c.skip();
  const n = c.aggregateCount();
  if (n < 2) {
    for (let i = 0; i < n; i++) c.skip();
    return;
  }
  const hostStart = c.pos;
  const hostType = c.peek();
  const host = isAggregate(hostType) ? (c.skip(), undefined) : c.string();
  const hostEnd = c.pos;
  const portStart = c.pos;
  const port = c.integer();
  const portEnd = c.pos;
  const id = n >= 3 ? c.string() : null;
  let metaStart = -1;
  let metaHeaderEnd = -1;
  let metaType = 0;
  let metaLength = 0;
  const pairs: MetaPair[] = [];
  if (n >= 4) {
    metaStart = c.pos;
    metaType = c.peek();
    if (metaType === T_MAP || metaType === T_ARRAY) {
      const count = c.aggregateCount();
      metaLength = metaType === T_MAP ? count / 2 : count;
      metaHeaderEnd = c.pos;
      for (let i = 0; i + 1 < count; i += 2) {
        const keyStart = c.pos;
        const keyType = c.peek();
        const key = keyType === T_ARRAY || keyType === T_MAP ? (c.skip(), null) : c.string();
        const valueStart = c.pos;
        c.skip();
        pairs.push({ key, keyStart, valueStart, valueEnd: c.pos });
      }
      if (count % 2 === 1) c.skip();
    } else {
      c.skip();
    }
  }
  for (let i = 4; i < n; i++) c.skip();
  if (host === undefined || Number.isNaN(port)) return;

  const ref: NodeRef = { host: host ?? '', port };
  if (id !== null) ref.id = id;
  for (const p of pairs) {
    if (p.key === 'ip' || p.key === 'hostname') {
      const value = new Cursor(c.buf, p.valueStart).string() ?? undefined;
      if (p.key === 'ip') ref.ip = value;
      else ref.hostname = value;
    }
  }
  const local = lookup(ref);
  if (!local) {
    out.missing.push(ref);
    return;
  }
  const edits: Edit[] = out.edits;
  edits.push({ start: hostStart, end: hostEnd, bytes: encodedHost(local) });
  edits.push({ start: portStart, end: portEnd, bytes: encodedPort(local) });
  // Edits go in byte order (the header first), so applying them needs no sort.
  const dropped = pairs.filter((p) => p.key === 'hostname').length;
  if (dropped > 0) {
    const count = metaType === T_MAP ? metaLength - dropped : metaLength - 2 * dropped;
    edits.push({ start: metaStart, end: metaHeaderEnd, bytes: aggregateHeader(metaType, count) });
  }
  for (const p of pairs) {
    if (p.key === 'ip') {
      edits.push({ start: p.valueStart, end: p.valueEnd, bytes: encodedHost(local) });
    } else if (p.key === 'hostname') {
      // The hostname names the remote node; a client that preferred it would bypass the tunnel.
      edits.push({ start: p.keyStart, end: p.valueEnd, bytes: EMPTY });
    }
  }
}
