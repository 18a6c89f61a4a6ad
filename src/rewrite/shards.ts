import { type RespNode, integer, isNull, mapEntries, text } from '../resp/decode.js';
import { aggregateHeader, bulkString } from '../resp/encode.js';
import { T_ARRAY, T_MAP } from '../resp/types.js';
import { encodedHost, encodedPort, transportPort } from '../topology/endpoint.js';
import type { Addresses, NodeRef } from '../topology/types.js';
import type { RewriteOutcome } from './outcome.js';

const PORT_KEY = bulkString('port');

/**
 * CLUSTER SHARDS (7.0+): an array of shard maps {slots, nodes}; each node is a map with `id`,
 * `port` and/or `tls-port`, `ip`, `endpoint`, optional `hostname`, `role`, ... Maps are `%` in RESP3
 * and flat arrays in RESP2. A client reaches the tunnel in plaintext, so a node ends with exactly
 * one port key, `port`, holding the local port: `tls-port` is renamed to `port` when it is the only
 * one, dropped otherwise. `ip` and `endpoint` become the local host; `hostname` is dropped.
 */
export function rewriteShards(buf: Buffer, root: RespNode, addresses: Addresses, out: RewriteOutcome): void {
  if (root.type !== T_ARRAY || !root.children) return;
  for (const shard of root.children) {
    for (const [key, value] of mapEntries(buf, shard) ?? []) {
      if (key !== 'nodes' || value.type !== T_ARRAY || !value.children) continue;
      for (const node of value.children) rewriteShardNode(buf, node, addresses, out);
    }
  }
}

function rewriteShardNode(buf: Buffer, node: RespNode, addresses: Addresses, out: RewriteOutcome): void {
  const entries = mapEntries(buf, node);
  if (!entries) return;
  const field = new Map(entries.map(([k, v, i]) => [k, { value: v, index: i }]));
  const str = (k: string): string | undefined => {
    const v = field.get(k)?.value;
    return v && !v.children && !isNull(v) ? text(buf, v) : undefined;
  };
  const portField = field.get('port');
  const tlsField = field.get('tls-port');
  // The node is known by the port that matches the upstream transport, as discovery reads it.
  const number = (f: typeof portField): number => (f ? integer(buf, f.value) : NaN);
  const remotePort = transportPort(number(portField), number(tlsField), addresses.tls);
  if (Number.isNaN(remotePort)) return;
  const ref: NodeRef = { host: str('endpoint') ?? str('ip') ?? '', port: remotePort };
  const id = str('id');
  if (id !== undefined) ref.id = id;
  const ip = str('ip');
  if (ip !== undefined) ref.ip = ip;
  const hostname = str('hostname');
  if (hostname !== undefined) ref.hostname = hostname;
  const local = addresses.lookup(ref);
  if (!local) {
    out.missing.push(ref);
    return;
  }
  const children = node.children as RespNode[];
  const replaceValue = (k: string, bytes: Buffer): void => {
    const f = field.get(k);
    if (f) out.edits.push({ start: f.value.start, end: f.value.end, bytes });
  };
  const dropPair = (k: string): void => {
    const f = field.get(k);
    if (f) out.edits.push({ start: children[f.index].start, end: f.value.end, bytes: Buffer.alloc(0) });
  };
  let dropped = 0;
  replaceValue('ip', encodedHost(local));
  replaceValue('endpoint', encodedHost(local));
  if (field.has('hostname')) {
    dropPair('hostname');
    dropped++;
  }
  if (portField) {
    replaceValue('port', encodedPort(local));
    if (tlsField) {
      dropPair('tls-port');
      dropped++;
    }
  } else if (tlsField) {
    out.edits.push({
      start: children[tlsField.index].start,
      end: tlsField.value.end,
      bytes: Buffer.concat([PORT_KEY, encodedPort(local)]),
    });
  }
  if (dropped > 0) {
    const count = node.type === T_MAP ? node.length - dropped : node.length - 2 * dropped;
    out.edits.push({ start: node.start, end: node.valueStart, bytes: aggregateHeader(node.type, count) });
  }
}
