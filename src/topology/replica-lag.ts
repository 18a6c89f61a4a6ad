import { decode, text } from '../resp/decode.js';
import { hasEndpoint } from './endpoint.js';
import { errorText } from './parse.js';
import type { ClusterNode } from './types.js';

/** One `slaveN:` line of a master's INFO replication. */
export interface ReplicaLine {
  host: string;
  port: number;
  /** `online` once synced; `wait_bgsave`, `send_bulk` while a full sync runs. */
  state: string;
  /** Seconds since the replica last acknowledged the stream (what min-replicas-max-lag uses). */
  lag: number;
}

/**
 * The replicas a master lists in INFO replication (RESP2 bulk or RESP3 verbatim text):
 * `slave0:ip=127.0.0.92,port=7902,state=online,offset=42,lag=0`.
 */
export function parseReplicaLines(frame: Buffer): ReplicaLine[] {
  if (errorText(frame) !== null) return [];
  const body = text(frame, decode(frame));
  const out: ReplicaLine[] = [];
  for (const line of body.split(/\r?\n/)) {
    const m = /^slave\d+:(.*)$/.exec(line.trim());
    if (!m) continue;
    const fields = new Map(m[1].split(',').map((kv) => kv.split('=') as [string, string]));
    const port = Number(fields.get('port'));
    const host = fields.get('ip') ?? '';
    if (!host || !Number.isInteger(port)) continue;
    out.push({ host, port, state: fields.get('state') ?? '', lag: Number(fields.get('lag') ?? NaN) });
  }
  return out;
}

/**
 * Sets each replica of `masterId` to the lag its master reports: seconds when it is online, else
 * Infinity (syncing, or not listed: the master has no link to it).
 */
export function applyLag(nodes: ClusterNode[], masterId: string, lines: ReplicaLine[]): void {
  for (const n of nodes) {
    if (n.role !== 'replica' || n.masterId !== masterId) continue;
    const line = lines.find((l) => hasEndpoint(n, l.host, l.port));
    n.lagSeconds = line && line.state === 'online' && Number.isFinite(line.lag) ? line.lag : Infinity;
  }
}
