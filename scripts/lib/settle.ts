import { hashSlot } from '../../src/topology/hash-slot.js';
import { waitFor } from './wait.js';

/** A node as settling reads it. */
interface SettlingNode {
  ip: string;
  port: number;
  hostname: string;
  /** 0 once stopped. */
  pid: number;
}

/**
 * What settling asks of a running cluster (RunningCluster is one): its nodes, its layout, and a
 * way to ask a node. Declared here, so this file needs nothing of cluster.ts, which imports it.
 */
export interface SettlingCluster<N extends SettlingNode> {
  readonly nodes: N[];
  readonly spec: { replicasPerMaster: number; hostnames: boolean };
  cli(node: { ip: string; port: number }, args: string[]): Promise<string>;
  slotRanges(
    node?: N,
  ): Promise<Array<{ start: number; end: number; ip: string; port: number; nodeCount: number }>>;
}

/**
 * Waits until every node agrees: state ok, all nodes known and connected, every master has its
 * replicas listed in CLUSTER SLOTS (they are omitted until they have replicated something), no
 * node `loading` in CLUSTER SHARDS, and every hostname gossiped.
 */
export async function settle<N extends SettlingNode>(
  cluster: SettlingCluster<N>,
  timeoutMs = 60_000,
  expectHostnames = cluster.spec.hostnames,
): Promise<void> {
  const { nodes, spec } = cluster;
  const total = nodes.filter((n) => n.pid).length;
  const masters = Math.round(total / (spec.replicasPerMaster + 1));
  await waitFor('cluster_state:ok on every node', timeoutMs, async () => {
    for (const node of nodes.filter((n) => n.pid)) {
      const info = await cluster.cli(node, ['CLUSTER', 'INFO']);
      if (!info.includes('cluster_state:ok') || !info.includes(`cluster_known_nodes:${total}`)) return false;
      const lines = (await cluster.cli(node, ['CLUSTER', 'NODES'])).trim().split('\n');
      if (lines.length !== total || lines.some((l) => /handshake|fail|noaddr|disconnected/.test(l)))
        return false;
    }
    return true;
  });
  // One write per master so replicas get a non-zero offset and appear in CLUSTER SLOTS.
  const ranges = await cluster.slotRanges(nodes[0]).catch(() => []);
  for (const r of ranges) {
    const master = nodes.find((n) => n.ip === r.ip && n.port === r.port);
    if (!master) continue;
    await cluster.cli(master, ['SET', keyInRange(r.start, r.end), 'settle']);
  }
  await waitFor('every replica listed in CLUSTER SLOTS and online in CLUSTER SHARDS', timeoutMs, async () => {
    for (const node of nodes.filter((n) => n.pid)) {
      const r = await cluster.slotRanges(node);
      if (r.length < masters || r.some((x) => x.nodeCount < spec.replicasPerMaster + 1)) return false;
      const shards = await cluster.cli(node, ['CLUSTER', 'SHARDS']);
      if (shards.includes('loading') || shards.includes('fail')) return false;
      if (expectHostnames) {
        const text = await cluster.cli(node, ['CLUSTER', 'NODES']);
        for (const other of nodes.filter((n) => n.pid))
          if (!text.includes(`,${other.hostname}`)) return false;
      }
    }
    return true;
  });
}

function keyInRange(start: number, end: number): string {
  for (let i = 0; i < 1_000_000; i++) {
    const slot = hashSlot(`settle:${i}`);
    if (slot >= start && slot <= end) return `settle:${i}`;
  }
  throw new Error(`no key for slots ${start}-${end}`);
}
