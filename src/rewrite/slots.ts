import { type RespNode, integer, isNull, mapEntries, text } from '../resp/decode.js';
import { aggregateHeader, bulkString, integerReply } from '../resp/encode.js';
import { T_ARRAY, T_MAP } from '../resp/reply-scanner.js';
import type { AddressLookup, NodeRef, RewriteOutcome } from './address.js';

/**
 * CLUSTER SLOTS, RESP2 and RESP3:
 *   *<ranges>  *<2+n> :start :end <node>...
 *   <node> = *2 host port (pre-4.0) | *3 host port id (6.2) | *4 host port id meta (7.0+)
 * host is an IP, a hostname, `?`, an empty string or null (unknown endpoint). The meta map is `*2k`
 * in RESP2 and `%k` in RESP3 with `ip` and `hostname` keys. A node entry never gains elements
 * (go-redis refuses more than 4); `hostname` is dropped from the meta map, `ip` is replaced.
 */
export function rewriteSlots(buf: Buffer, root: RespNode, lookup: AddressLookup, out: RewriteOutcome): void {
  if (root.type !== T_ARRAY || !root.children) return;
  for (const range of root.children) {
    if (range.type !== T_ARRAY || !range.children || range.children.length < 3) continue;
    for (let i = 2; i < range.children.length; i++) rewriteSlotsNode(buf, range.children[i], lookup, out);
  }
}

function readString(buf: Buffer, node: RespNode | undefined): string | undefined {
  if (!node || node.children || isNull(node)) return undefined;
  return text(buf, node);
}

function rewriteSlotsNode(buf: Buffer, entry: RespNode, lookup: AddressLookup, out: RewriteOutcome): void {
  const el = entry.children;
  if (entry.type !== T_ARRAY || !el || el.length < 2) return;
  const hostEl = el[0];
  const portEl = el[1];
  if (hostEl.children) return;
  const port = integer(buf, portEl);
  if (Number.isNaN(port)) return;
  const meta = el.length > 3 ? mapEntries(buf, el[3]) : null;
  const ref: NodeRef = { host: readString(buf, hostEl) ?? '', port };
  const id = readString(buf, el[2]);
  if (id !== undefined) ref.id = id;
  for (const [key, value] of meta ?? []) {
    if (key === 'ip') ref.ip = readString(buf, value);
    else if (key === 'hostname') ref.hostname = readString(buf, value);
  }
  const local = lookup(ref);
  if (!local) {
    out.missing.push(ref);
    return;
  }
  out.edits.push({ start: hostEl.start, end: hostEl.end, bytes: bulkString(local.host) });
  out.edits.push({ start: portEl.start, end: portEl.end, bytes: integerReply(local.port) });
  if (!meta) return;
  const metaNode = el[3];
  const children = metaNode.children as RespNode[];
  // Edits go in byte order (the header first), so applying them needs no sort.
  const dropped = meta.filter(([key]) => key === 'hostname').length;
  if (dropped > 0) {
    const count = metaNode.type === T_MAP ? metaNode.length - dropped : metaNode.length - 2 * dropped;
    out.edits.push({
      start: metaNode.start,
      end: metaNode.valueStart,
      bytes: aggregateHeader(metaNode.type, count),
    });
  }
  for (const [key, value, index] of meta) {
    if (key === 'ip') {
      out.edits.push({ start: value.start, end: value.end, bytes: bulkString(local.host) });
    } else if (key === 'hostname') {
      // The hostname names the remote node; a client that preferred it would bypass the tunnel.
      out.edits.push({ start: children[index].start, end: value.end, bytes: EMPTY });
    }
  }
}

const EMPTY = Buffer.alloc(0);
