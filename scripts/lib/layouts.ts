/** The clusters the project runs: addresses, ports, users, endpoint styles; and each node's config. */

export type EndpointType = 'ip' | 'hostname' | 'unknown-endpoint';

export interface ClusterSpec {
  /** Folder name under `.cluster/`. */
  name: string;
  /** One entry per node: its address and TLS port. The bus port is port + 10000. */
  nodes: Array<{ ip: string; port: number }>;
  /** Addresses for nodes added later (addNode). */
  spares?: Array<{ ip: string; port: number }>;
  replicasPerMaster: number;
  endpointType: EndpointType;
  /** Announce `node<N>.example` hostnames (always true for the hostname endpoint type). */
  hostnames: boolean;
  user: string;
  password: string;
  nodeTimeoutMs: number;
  /** No cluster: node 1 is a primary, the others replicate from it (REPLICAOF). */
  standalone?: boolean;
}

export const DEFAULT_USER = 'tunnel';
export const DEFAULT_PASSWORD = 'correct-horse-battery-staple';

/**
 * A second ACL user on every node, allowed to read and not to write: the tests use it to see that
 * a client that logs in as someone else runs with that user's rights, not the tunnel's.
 */
export const READER = { user: 'reader', password: 'reader-password' } as const;

/** A layout with the project's defaults: 1 replica per master, IP endpoints, the ACL user. */
const layout = (
  name: string,
  nodes: ClusterSpec['nodes'],
  extra: Partial<ClusterSpec> = {},
): ClusterSpec => ({
  name,
  nodes,
  replicasPerMaster: 1,
  endpointType: 'ip',
  hostnames: false,
  user: DEFAULT_USER,
  password: DEFAULT_PASSWORD,
  nodeTimeoutMs: 3000,
  ...extra,
});

/** 127.0.0.<first>..<first+5> on `port(i)`. */
const six = (first: number, port: (i: number) => number): ClusterSpec['nodes'] =>
  Array.from({ length: 6 }, (_, i) => ({ ip: `127.0.0.${first + i}`, port: port(i) }));

/** The layouts the project tests. `default` is what the demo and most tests use. */
export const LAYOUTS: Record<string, ClusterSpec> = {
  default: layout(
    'default',
    six(11, (i) => 7001 + i),
  ),
  /** Every node on one port, like ElastiCache or Redis Enterprise. */
  'same-port': layout(
    'same-port',
    six(11, () => 6379),
  ),
  hostname: layout(
    'hostname',
    six(21, (i) => 7101 + i),
    { endpointType: 'hostname', hostnames: true },
  ),
  /** For live changes (failover, resharding, scale-out): a spare address for a 7th node. */
  live: layout(
    'live',
    six(41, (i) => 7401 + i),
    { spares: [{ ip: '127.0.0.47', port: 7407 }] },
  ),
  /** For the in-process tunnel tests: their own cluster, with a spare address for a 7th node. */
  inproc: layout(
    'inproc',
    six(61, (i) => 7601 + i),
    { spares: [{ ip: '127.0.0.67', port: 7607 }] },
  ),
  /** For smart mode under live changes (failover, resharding, a node joining and leaving). */
  'smart-live': layout(
    'smart-live',
    six(71, (i) => 7701 + i),
    { spares: [{ ip: '127.0.0.77', port: 7707 }] },
  ),
  /** For the status page: three masters, no replicas, stopped whole to see the health turn. */
  status: layout(
    'status',
    Array.from({ length: 3 }, (_, i) => ({ ip: `127.0.0.${81 + i}`, port: 7801 + i })),
    { replicasPerMaster: 0 },
  ),
  /**
   * Cluster mode disabled: a primary and two replicas, every one on the same port as in a managed
   * service (ElastiCache's cluster-mode-disabled groups, Memorystore, Azure).
   */
  standalone: layout(
    'standalone',
    Array.from({ length: 3 }, (_, i) => ({ ip: `127.0.0.${91 + i}`, port: 7901 })),
    { standalone: true, replicasPerMaster: 2 },
  ),
  'unknown-endpoint': layout(
    'unknown-endpoint',
    six(31, (i) => 7201 + i),
    { endpointType: 'unknown-endpoint', hostnames: true },
  ),
};

export function nodeConfig(
  spec: ClusterSpec,
  i: number,
  dir: string,
  cert: { cert: string; key: string },
  ca: string,
): string {
  const n = spec.nodes[i];
  const lines = [
    `bind ${n.ip}`,
    `bind-source-addr ${n.ip}`, // else bus and replication connections come from 127.0.0.1 and the cluster never forms
    'protected-mode no',
    'port 0',
    `tls-port ${n.port}`,
    `tls-cert-file ${cert.cert}`,
    `tls-key-file ${cert.key}`,
    `tls-ca-cert-file ${ca}`,
    'tls-auth-clients optional',
    ...(spec.standalone ? [] : ['tls-cluster yes']),
    'tls-replication yes',
    ...(spec.standalone
      ? i > 0
        ? [`replicaof ${spec.nodes[0].ip} ${spec.nodes[0].port}`]
        : []
      : [
          'cluster-enabled yes',
          'cluster-config-file nodes.conf',
          `cluster-node-timeout ${spec.nodeTimeoutMs}`,
          `cluster-announce-ip ${n.ip}`,
        ]),
    `replica-announce-ip ${n.ip}`,
    `dir ${dir}`,
    'save ""',
    'appendonly no',
    'daemonize no',
    'loglevel notice',
    'logfile ""',
    // DEBUG PROTOCOL attrib|push: the tests' way to make a real node send RESP3 attributes.
    'enable-debug-command local',
    'user default off',
    `user ${spec.user} on >${spec.password} ~* &* +@all`,
    `user ${READER.user} on >${READER.password} ~* &* +@read +@connection +acl|whoami +cluster|slots +cluster|shards +cluster|nodes +command +wait`,
    `masteruser ${spec.user}`,
    `masterauth ${spec.password}`,
  ];
  return lines.join('\n') + '\n';
}
