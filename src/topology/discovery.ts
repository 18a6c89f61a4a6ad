import { CodedError } from '../resp/errors.js';
import { errorText, nodesReplyText, parseNodesText, parseShards } from './parse.js';
import type { ClusterNode } from './types.js';

/** Runs one command against a node and returns its reply frame. */
export type Ask = (args: string[]) => Promise<Buffer>;

/** Why a node's answer gave no topology. */
export type DiscoveryErrorCode = 'not-cluster' | 'no-topology';

/** The node answered, but its answer gave no topology. */
export class DiscoveryError extends CodedError<DiscoveryErrorCode> {
  constructor(
    readonly node: string,
    code: DiscoveryErrorCode,
    readonly reason: string,
  ) {
    super(code, code === 'not-cluster' ? `${node} is not a cluster node: ${reason}` : `${node}: ${reason}`);
  }
}

/**
 * How a server that is not a cluster node answers CLUSTER SHARDS/NODES: cluster support disabled
 * (a standalone Redis), or a proxy that does not know or allow the command. NOPERM is not one of
 * them: a cluster node can refuse a user the CLUSTER commands.
 */
const NOT_CLUSTER = /cluster support disabled|unknown (sub)?command|not (allowed|supported)/i;

export interface Topology {
  nodes: ClusterNode[];
  /** Which command it came from. */
  source: 'CLUSTER SHARDS' | 'CLUSTER NODES';
}

/**
 * Reads the whole topology from one node: CLUSTER SHARDS where the server has it (7.0+), else
 * CLUSTER NODES. Both list every node, replicas included, and CLUSTER SLOTS leaves out replicas
 * that are still syncing or have failed.
 */
export async function discover(
  ask: Ask,
  label: string,
  tlsUpstream: boolean,
  seedHost: string,
): Promise<Topology> {
  const shards = await ask(['CLUSTER', 'SHARDS']);
  const shardsError = errorText(shards);
  let topology: Topology;
  if (shardsError === null) {
    topology = { nodes: parseShards(shards, tlsUpstream), source: 'CLUSTER SHARDS' };
  } else {
    if (/cluster support disabled/i.test(shardsError))
      throw new DiscoveryError(label, 'not-cluster', shardsError);
    const nodes = await ask(['CLUSTER', 'NODES']);
    const nodesError = errorText(nodes);
    if (nodesError !== null && NOT_CLUSTER.test(shardsError) && NOT_CLUSTER.test(nodesError))
      throw new DiscoveryError(
        label,
        'not-cluster',
        `CLUSTER SHARDS: ${shardsError}; CLUSTER NODES: ${nodesError}`,
      );
    if (nodesError !== null) {
      throw new DiscoveryError(
        label,
        'no-topology',
        `cannot read the topology: CLUSTER SHARDS: ${shardsError}; CLUSTER NODES: ${nodesError}`,
      );
    }
    topology = { nodes: parseNodesText(nodesReplyText(nodes)), source: 'CLUSTER NODES' };
  }
  // A node that has never heard its own address (fresh, alone) reports an empty IP for itself.
  for (const n of topology.nodes) if (!n.ip && !n.hostname) n.ip = seedHost;
  if (topology.nodes.length === 0)
    throw new DiscoveryError(label, 'no-topology', `${topology.source} listed no nodes`);
  return topology;
}
