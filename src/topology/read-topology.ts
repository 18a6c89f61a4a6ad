import { type Ask, DiscoveryError, discover } from './discovery.js';
import { type AskAt, readStandalone } from './standalone.js';
import type { ClusterNode } from './types.js';

/** What a seed is: a cluster node or a standalone server (null: not known yet, find out). */
export type TopologyKind = 'cluster' | 'standalone';

/** One node's view of the topology. */
export interface Reading {
  kind: TopologyKind;
  nodes: ClusterNode[];
  /** False when a standalone replica named a primary that did not answer as one. */
  confirmed: boolean;
  /** A standalone server that refused ROLE (one server behind a proxy). */
  proxy: boolean;
  /** Where it came from, for the logs. */
  source: string;
}

/**
 * Reads the topology from one node. When the kind is not known yet (`null`), a node that refuses
 * cluster commands is read as a standalone server (ROLE); once known, only that kind is read.
 * `host`/`port` are the address the node is known by (the seed's as the user gave it).
 */
export async function readTopology(
  ask: Ask,
  askAt: AskAt,
  node: { label: string; dialHost: string; host: string; port: number },
  tls: boolean,
  kind: TopologyKind | null,
): Promise<Reading> {
  if (kind !== 'standalone') {
    try {
      const t = await discover(ask, node.label, tls, node.dialHost);
      return { kind: 'cluster', nodes: t.nodes, confirmed: true, proxy: false, source: t.source };
    } catch (e) {
      if (kind !== null || !(e instanceof DiscoveryError) || e.code !== 'not-cluster') throw e;
    }
  }
  const found = await readStandalone(ask, askAt, node);
  return {
    kind: 'standalone',
    nodes: found.nodes,
    confirmed: found.primaryConfirmed,
    proxy: found.proxy,
    source: 'ROLE',
  };
}
