import { type RespNode, decode, integer, isNull, mapEntries, text } from '../resp/decode.js';
import { T_ARRAY, T_VERBATIM, isErrorType } from '../resp/types.js';
import { transportPort } from './endpoint.js';
import { parseNodeLine } from './node-line.js';
import type { ClusterNode, SlotRange } from './types.js';

/** The text of an error reply frame, or null when the frame is not an error. */
export function errorText(frame: Buffer): string | null {
  if (!isErrorType(frame[0])) return null;
  return text(frame, decode(frame));
}

function str(buf: Buffer, n: RespNode | undefined): string | undefined {
  return n && !n.children && !isNull(n) ? text(buf, n) : undefined;
}

/**
 * CLUSTER SHARDS (7.0+), RESP2 or RESP3. `tlsUpstream` picks the port clients use over our
 * transport: `tls-port` for TLS when the node has one, else `port`.
 */
export function parseShards(frame: Buffer, tlsUpstream: boolean): ClusterNode[] {
  const root = decode(frame);
  if (root.type !== T_ARRAY || !root.children) throw new Error('CLUSTER SHARDS did not return an array');
  const out: ClusterNode[] = [];
  for (const shard of root.children) {
    const fields = new Map((mapEntries(frame, shard) ?? []).map(([k, v]) => [k, v]));
    const slots: SlotRange[] = [];
    const slotList = fields.get('slots')?.children ?? [];
    for (let i = 0; i + 1 < slotList.length; i += 2)
      slots.push([integer(frame, slotList[i]), integer(frame, slotList[i + 1])]);
    const members: ClusterNode[] = [];
    for (const n of fields.get('nodes')?.children ?? []) {
      const f = new Map((mapEntries(frame, n) ?? []).map(([k, v]) => [k, v]));
      const id = str(frame, f.get('id'));
      if (!id) continue;
      const number = (k: string): number => (f.has(k) ? integer(frame, f.get(k) as RespNode) : NaN);
      const port = transportPort(number('port'), number('tls-port'), tlsUpstream);
      const health = str(frame, f.get('health'));
      members.push({
        id,
        ip: str(frame, f.get('ip')) ?? '',
        port: Number.isNaN(port) ? 0 : port,
        hostname: str(frame, f.get('hostname')) || undefined,
        endpoint: str(frame, f.get('endpoint')),
        role: str(frame, f.get('role')) === 'master' ? 'master' : 'replica',
        slots: [],
        health: health === 'fail' ? 'fail' : health === 'loading' ? 'loading' : 'online',
      });
    }
    const master = members.find((m) => m.role === 'master');
    for (const m of members) {
      if (m.role === 'master') m.slots = slots;
      else if (master) m.masterId = master.id;
      out.push(m);
    }
  }
  return out;
}

/** CLUSTER NODES text (6.2 and later): every node, masters and replicas, with flags. */
export function parseNodesText(body: string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    const a = parseNodeLine(line);
    if (!a) continue;
    const tokens = line.split(' ');
    const slots: SlotRange[] = [];
    for (const t of tokens.slice(8)) {
      if (t.startsWith('[')) continue; // migration annotations
      const [s, e] = t.split('-').map(Number);
      if (!Number.isNaN(s)) slots.push([s, Number.isNaN(e) ? s : e]);
    }
    const isMaster = a.flags.includes('master');
    out.push({
      id: a.id,
      ip: a.ip,
      port: a.port,
      hostname: a.hostname,
      role: isMaster ? 'master' : 'replica',
      masterId: isMaster || tokens[3] === '-' ? undefined : tokens[3],
      slots,
      health: a.flags.some((f) => f === 'fail' || f === 'noaddr') ? 'fail' : 'online',
    });
  }
  return out;
}

/** The body of a CLUSTER NODES reply frame (bulk, or verbatim with its `txt:` prefix). */
export function nodesReplyText(frame: Buffer): string {
  const root = decode(frame);
  const body = text(frame, root);
  return frame[0] === T_VERBATIM ? body.slice(4) : body;
}

/** `0-5460 10923` style summary of slot ranges. */
export function formatSlots(slots: SlotRange[]): string {
  return slots.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(' ');
}
