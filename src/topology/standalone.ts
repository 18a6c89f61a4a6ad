import { decode, integer, text } from '../resp/decode.js';
import { T_ARRAY } from '../resp/types.js';
import type { Ask } from './discovery.js';
import { errorText } from './parse.js';
import type { ClusterNode } from './types.js';

/**
 * A server with cluster mode disabled, as the node table holds it. The primary is one entry whose
 * address follows whichever node is primary now, so its local port always reaches the primary.
 * Each replica is an entry of its own, named by its address. The primary is given every slot: to
 * smart mode it is the one master, and keyless or keyed, every request goes there.
 */
export const PRIMARY_ID = 'primary';

/** How a demoted primary refuses a write (an error frame's start): the write did not run. */
export const READONLY = Buffer.from('-READONLY ');

/** Every slot, inclusive. */
const ALL_SLOTS: [number, number] = [0, 16383];

/** A replica's entry id: its address, since a standalone server has no node id. */
export function replicaId(host: string, port: number): string {
  return `replica@${host}:${port}`;
}

/** What ROLE says a server is. */
export type Role =
  | { role: 'master'; replicas: Array<{ host: string; port: number }> }
  | { role: 'replica'; master: { host: string; port: number }; link: string }
  /** Sentinel, or a reply this reader does not know. */
  | { role: 'other'; name: string };

/**
 * ROLE's reply: `master` with `[ip, port, offset]` per replica (port as a bulk string), or `slave`
 * with the master's ip, port (an integer), link state and offset.
 */
export function parseRole(frame: Buffer): Role {
  const root = decode(frame);
  const parts = root.type === T_ARRAY ? (root.children ?? []) : [];
  const name = parts[0] ? text(frame, parts[0]) : '';
  if (name === 'master') {
    const replicas = (parts[2]?.children ?? []).map((r) => {
      const [ip, port] = r.children ?? [];
      return { host: text(frame, ip), port: Number(text(frame, port)) };
    });
    return { role: 'master', replicas: replicas.filter((r) => r.host && r.port > 0) };
  }
  if (name === 'slave' && parts.length >= 4) {
    const master = { host: text(frame, parts[1]), port: integer(frame, parts[2]) };
    return { role: 'replica', master, link: text(frame, parts[3]) };
  }
  return { role: 'other', name: name || 'an unknown reply' };
}

/** What a standalone reading found, beside the nodes. */
export interface StandaloneTopology {
  nodes: ClusterNode[];
  /** The primary answered ROLE as a master (false: named by a replica but not reachable, or no ROLE). */
  primaryConfirmed: boolean;
  /** ROLE was refused: one server behind a proxy, no replicas known. */
  proxy: boolean;
}

/** Opens a one-question conversation with another server (the primary a replica names). */
export type AskAt = (host: string, port: number) => Promise<Buffer>;

/**
 * Reads a standalone topology from the seed: its ROLE, and when it is a replica, its primary's
 * ROLE for the other replicas. The seed keeps the name it was given: a primary endpoint's DNS name
 * follows promotions, so the primary entry dials that name while the seed still says `master`.
 */
export async function readStandalone(
  ask: Ask,
  askAt: AskAt,
  seed: { host: string; port: number },
): Promise<StandaloneTopology> {
  const frame = await ask(['ROLE']);
  if (errorText(frame) !== null)
    return { nodes: [primary(seed.host, seed.port, 'online')], primaryConfirmed: true, proxy: true };
  const role = parseRole(frame);
  if (role.role === 'other')
    throw new Error(`${seed.host}:${seed.port} is a ${role.name}, not a Redis server (ROLE)`);
  if (role.role === 'master') {
    const nodes = [primary(seed.host, seed.port, 'online'), ...role.replicas.map(replicaOf)];
    return { nodes, primaryConfirmed: true, proxy: false };
  }
  const seedReplica = replica(seed.host, seed.port, role.link === 'connected' ? 'online' : 'fail');
  let above: Role | null = null;
  try {
    above = parseRole(await askAt(role.master.host, role.master.port));
  } catch {
    // The primary cannot be reached from here: serve what the seed says, marked failing.
  }
  const confirmed = above?.role === 'master';
  const replicas = above?.role === 'master' ? above.replicas.map(replicaOf) : [];
  if (!replicas.some((r) => r.id === seedReplica.id)) replicas.push(seedReplica);
  const head = primary(role.master.host, role.master.port, confirmed ? 'online' : 'fail');
  return { nodes: [head, ...replicas], primaryConfirmed: confirmed, proxy: false };
}

function primary(host: string, port: number, health: ClusterNode['health']): ClusterNode {
  return { ...address(host, port), id: PRIMARY_ID, role: 'master', slots: [ALL_SLOTS], health };
}

function replica(host: string, port: number, health: ClusterNode['health']): ClusterNode {
  const id = replicaId(host, port);
  return { ...address(host, port), id, role: 'replica', masterId: PRIMARY_ID, slots: [], health };
}

function replicaOf(r: { host: string; port: number }): ClusterNode {
  return replica(r.host, r.port, 'online');
}

/**
 * An IP goes in `ip`, a name in `hostname`: the table dials and matches either. (A dotted quad or
 * anything with a colon is an address; this layer does no I/O, so not node:net's isIP.)
 */
function address(host: string, port: number): { ip: string; hostname?: string; port: number } {
  const ip = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
  return ip ? { ip: host, port } : { ip: '', hostname: host, port };
}
