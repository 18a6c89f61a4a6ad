import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { hashSlot } from '../../src/topology/hash-slot.js';
import { type CertSet, issue, makeCertSet } from './certs.js';
import { type NodeRunner, dockerRunner } from './docker.js';

/**
 * A real TLS-only Redis Cluster on loopback, started from the machine's `redis-server` (7.0+):
 * every node on its own 127.0.0.x address (not 127.0.0.1, which stays free for the tunnel) and
 * announcing it, an ACL user with a password, a throwaway CA. It stops exactly the processes it
 * started, by PID. See LOCAL-CLUSTER.md for the pitfalls this handles.
 */

const run = promisify(execFile);

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
}

export const DEFAULT_USER = 'tunnel';
export const DEFAULT_PASSWORD = 'correct-horse-battery-staple';

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
  'unknown-endpoint': layout(
    'unknown-endpoint',
    six(31, (i) => 7201 + i),
    { endpointType: 'unknown-endpoint', hostnames: true },
  ),
};

export interface NodeInfo {
  index: number;
  ip: string;
  port: number;
  hostname: string;
  dir: string;
  pid: number;
}

export const ROOT = resolve(process.env.CLUSTER_ROOT ?? '.cluster');

export class RunningCluster {
  readonly spec: ClusterSpec;
  readonly dir: string;
  readonly certs: CertSet;
  readonly nodes: NodeInfo[];

  /** How nodes are started: local processes, or Docker containers. */
  readonly runner: NodeRunner;

  constructor(
    spec: ClusterSpec,
    dir: string,
    certs: CertSet,
    nodes: NodeInfo[],
    runner: NodeRunner = PROCESSES,
  ) {
    this.spec = spec;
    this.runner = runner;
    this.dir = dir;
    this.certs = certs;
    this.nodes = nodes;
  }

  /** Runs redis-cli against one node over TLS as the ACL user; returns stdout. */
  async cli(node: { ip: string; port: number }, args: string[], timeoutMs = 15_000): Promise<string> {
    const { stdout } = await run(
      'redis-cli',
      [
        '--tls',
        '--cacert',
        this.certs.caCert,
        '-h',
        node.ip,
        '-p',
        String(node.port),
        '--user',
        this.spec.user,
        ...args,
      ],
      { env: { ...process.env, REDISCLI_AUTH: this.spec.password }, timeout: timeoutMs, maxBuffer: 64 << 20 },
    );
    return stdout;
  }

  /** Slot ranges as `node` (default: the first running node) reports them, with each range's master. */
  async slotRanges(node = this.nodes.find((n) => n.pid) ?? this.nodes[0]): Promise<SlotRange[]> {
    return parseSlotsJson(await this.cli(node, ['--json', 'CLUSTER', 'SLOTS']));
  }

  /** `--tls --cacert ... --user ...` arguments for redis-cli / redis-benchmark against this cluster. */
  tlsArgs(): string[] {
    return ['--tls', '--cacert', this.certs.caCert, '--user', this.spec.user];
  }

  async stopNode(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = this.nodes[index];
    await stopPid(node.pid, node.dir, signal);
    node.pid = 0;
    this.savePids();
  }

  /** Starts a stopped node again with its old nodes.conf: it rejoins the cluster. */
  async restartNode(index: number): Promise<void> {
    const node = this.nodes[index];
    node.pid = await this.runner.start(node.dir, this.certs.dir);
    this.savePids();
    await waitFor(`node ${node.ip}:${node.port} to answer`, 20_000, async () =>
      (await this.cli(node, ['PING']).catch(() => '')).includes('PONG'),
    );
  }

  /**
   * Starts a node on the next spare address and joins it to the cluster with `redis-cli --cluster
   * add-node`, against real addresses (add-node talks to the new node directly, so it cannot go
   * through a tunnel). It joins as an empty master.
   */
  async addNode(): Promise<NodeInfo> {
    const spare = this.spec.spares?.[this.nodes.length - this.spec.nodes.length];
    if (!spare) throw new Error(`no spare address left in layout ${this.spec.name}`);
    const i = this.nodes.length;
    const spec: ClusterSpec = { ...this.spec, nodes: [...this.spec.nodes, ...(this.spec.spares ?? [])] };
    const hostname = `node${i + 1}.${spec.name}.example`;
    const dir = join(this.dir, `node-${i + 1}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const cert = issue(this.certs, `${spec.name}-node-${i + 1}`, [spare.ip], [hostname]);
    writeFileSync(join(dir, 'redis.conf'), nodeConfig(spec, i, dir, cert, this.certs.caCert));
    const node: NodeInfo = {
      index: i,
      ip: spare.ip,
      port: spare.port,
      hostname,
      dir,
      pid: await this.runner.start(dir, this.certs.dir),
    };
    this.nodes.push(node);
    this.savePids();
    await waitFor(`new node ${spare.ip}:${spare.port} to answer`, 20_000, async () =>
      (await this.cli(node, ['PING'])).includes('PONG'),
    );
    const first = this.nodes[0];
    await run(
      'redis-cli',
      [...this.tlsArgs(), '--cluster', 'add-node', `${spare.ip}:${spare.port}`, `${first.ip}:${first.port}`],
      {
        env: { ...process.env, REDISCLI_AUTH: this.spec.password },
        timeout: 60_000,
      },
    );
    // Until the new node has heard every slot's owner it answers CLUSTERDOWN (MIGRATE to it fails).
    await waitFor('every node to know the new one, and the new one the cluster', 30_000, async () => {
      for (const n of this.nodes.filter((x) => x.pid)) {
        const info = await this.cli(n, ['CLUSTER', 'INFO']);
        if (!info.includes(`cluster_known_nodes:${this.nodes.length}`) || !info.includes('cluster_state:ok'))
          return false;
      }
      return true;
    });
    return node;
  }

  savePids(): void {
    writeFileSync(
      join(this.dir, 'pids.json'),
      JSON.stringify(this.nodes.map((n) => ({ dir: n.dir, pid: n.pid }))),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.pid ? stopPid(n.pid, n.dir, 'SIGTERM') : undefined)));
    for (const n of this.nodes) n.pid = 0;
    this.savePids();
  }

  /** Everything a test or the demo needs to reach this cluster, as plain data. */
  describe(): ClusterDescription {
    return {
      name: this.spec.name,
      dir: this.dir,
      caCert: this.certs.caCert,
      otherCaCert: this.certs.otherCaCert,
      clientCert: this.certs.clientCert,
      clientKey: this.certs.clientKey,
      user: this.spec.user,
      password: this.spec.password,
      endpointType: this.spec.endpointType,
      runner: this.runner.kind,
      nodes: this.nodes.map((n) => ({
        index: n.index,
        ip: n.ip,
        port: n.port,
        hostname: n.hostname,
        pid: n.pid,
        dir: n.dir,
      })),
    };
  }
}

/**
 * A handle on a cluster started elsewhere (another process: vitest starts it in its main process,
 * tests run in workers). Node PIDs live in pids.json, so stops and restarts stay tracked.
 */
export function attach(d: ClusterDescription): RunningCluster {
  const spec = Object.values(LAYOUTS).find((l) => l.name === d.name);
  if (!spec) throw new Error(`unknown cluster layout ${d.name}`);
  const certs: CertSet = {
    dir: join(ROOT, 'certs'),
    caCert: d.caCert,
    caKey: join(ROOT, 'certs', 'ca.key'),
    otherCaCert: d.otherCaCert,
    clientCert: d.clientCert,
    clientKey: d.clientKey,
  };
  const pids = JSON.parse(readFileSync(join(d.dir, 'pids.json'), 'utf8')) as Array<{
    dir: string;
    pid: number;
  }>;
  const nodes = d.nodes.map((n) => ({ ...n, pid: pids.find((p) => p.dir === n.dir)?.pid ?? 0 }));
  return new RunningCluster(spec, d.dir, certs, nodes, attachedRunner(d.runner));
}

export interface ClusterDescription {
  name: string;
  dir: string;
  caCert: string;
  otherCaCert: string;
  clientCert: string;
  clientKey: string;
  user: string;
  password: string;
  endpointType: EndpointType;
  /** NodeRunner.kind: 'process', or 'docker:<image>'. */
  runner: string;
  nodes: NodeInfo[];
}

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
    'tls-cluster yes',
    'tls-replication yes',
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    `cluster-node-timeout ${spec.nodeTimeoutMs}`,
    `cluster-announce-ip ${n.ip}`,
    `replica-announce-ip ${n.ip}`,
    `dir ${dir}`,
    'save ""',
    'appendonly no',
    'daemonize no',
    'loglevel notice',
    'logfile ""',
    'user default off',
    `user ${spec.user} on >${spec.password} ~* &* +@all`,
    `masteruser ${spec.user}`,
    `masterauth ${spec.password}`,
  ];
  return lines.join('\n') + '\n';
}

/** Nodes as local processes of this machine's redis-server. */
const PROCESSES: NodeRunner = { kind: 'process', start: async (dir) => spawnNode(dir) };

/** The runner a cluster started elsewhere used (a test worker restarting a node). */
function attachedRunner(kind: string): NodeRunner {
  if (!kind.startsWith('docker:')) return PROCESSES;
  let runner: Promise<NodeRunner> | null = null;
  return {
    kind,
    start: async (dir, certsDir) => {
      runner ??= dockerRunner('', kind.slice('docker:'.length), () => undefined);
      return (await runner).start(dir, certsDir);
    },
  };
}

function spawnNode(dir: string): number {
  const log = openSync(join(dir, 'redis.log'), 'a');
  const child: ChildProcess = spawn('redis-server', [join(dir, 'redis.conf')], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new Error(`redis-server did not start in ${dir}`);
  return child.pid;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `pid` is a process whose working directory is `dir`: ours, not a reused PID. */
function isOurs(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dir;
  } catch {
    return false;
  }
}

async function stopPid(pid: number, dir: string, signal: NodeJS.Signals): Promise<void> {
  if (!pid || !isOurs(pid, dir)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + 10_000;
  while (processAlive(pid) && isOurs(pid, dir) && Date.now() < deadline) await sleep(50);
  if (processAlive(pid) && isOurs(pid, dir)) process.kill(pid, 'SIGKILL');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; bounded by `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Stops processes left by an earlier run of the same cluster folder (only if they are ours). */
export async function stopLeftovers(dir: string): Promise<void> {
  const file = join(dir, 'pids.json');
  if (!existsSync(file)) return;
  const entries = JSON.parse(readFileSync(file, 'utf8')) as Array<{ dir: string; pid: number }>;
  await Promise.all(entries.map((e) => stopPid(e.pid, e.dir, 'SIGTERM')));
}

export async function redisServerVersion(): Promise<string> {
  const { stdout } = await run('redis-server', ['--version']);
  const m = /v=(\d+\.\d+\.\d+)/.exec(stdout);
  if (!m) throw new Error(`cannot read redis-server version from: ${stdout}`);
  return m[1];
}

/** Starts the cluster fresh (new data, new node ids) and waits until it is fully settled. */
/** How startCluster runs the nodes: this machine's processes (default), or Docker containers. */
export interface RunnerChoice {
  docker?: boolean;
  /** With docker: the image to use (pulled when missing); default: built from the local redis-server. */
  image?: string;
}

/** --docker and --image on a script's command line, or CLUSTER_DOCKER=1 / CLUSTER_IMAGE (the tests). */
export function runnerChoice(argv: string[] = [], env: NodeJS.ProcessEnv = process.env): RunnerChoice {
  const at = argv.indexOf('--image');
  const image = at >= 0 ? argv[at + 1] : env.CLUSTER_IMAGE || undefined;
  return { docker: argv.includes('--docker') || env.CLUSTER_DOCKER === '1' || image !== undefined, image };
}

export async function startCluster(
  spec: ClusterSpec,
  log: (msg: string) => void = () => {},
  choice: RunnerChoice = runnerChoice(),
): Promise<RunningCluster> {
  const version = await redisServerVersion();
  if (Number(version.split('.')[0]) < 7)
    throw new Error(`redis-server ${version} is too old: 7.0 or newer is needed`);
  const dir = join(ROOT, spec.name);
  await stopLeftovers(dir);
  const certs = makeCertSet(join(ROOT, 'certs'));
  const nodes: NodeInfo[] = [];
  for (let i = 0; i < spec.nodes.length; i++) {
    const n = spec.nodes[i];
    const hostname = `node${i + 1}.${spec.name}.example`;
    const nodeDir = join(dir, `node-${i + 1}`);
    rmSync(nodeDir, { recursive: true, force: true });
    mkdirSync(nodeDir, { recursive: true });
    const cert = issue(certs, `${spec.name}-node-${i + 1}`, [n.ip], [hostname]);
    writeFileSync(join(nodeDir, 'redis.conf'), nodeConfig(spec, i, nodeDir, cert, certs.caCert));
    nodes.push({ index: i, ip: n.ip, port: n.port, hostname, dir: nodeDir, pid: 0 });
  }
  const runner = choice.docker ? await dockerRunner(version, choice.image, log) : PROCESSES;
  const cluster = new RunningCluster(spec, dir, certs, nodes, runner);
  log(`starting ${nodes.length} redis-server ${version} nodes (${spec.name}, ${runner.kind})`);
  for (const node of nodes) node.pid = await runner.start(node.dir, certs.dir);
  cluster.savePids();
  try {
    await Promise.all(
      nodes.map((node) =>
        waitFor(`${node.ip}:${node.port} to answer PING (see ${node.dir}/redis.log)`, 20_000, async () =>
          (await cluster.cli(node, ['PING'])).includes('PONG'),
        ),
      ),
    );
    log('creating the cluster');
    await run(
      'redis-cli',
      [
        ...cluster.tlsArgs(),
        '--cluster',
        'create',
        ...nodes.map((n) => `${n.ip}:${n.port}`),
        '--cluster-replicas',
        String(spec.replicasPerMaster),
        '--cluster-yes',
      ],
      { env: { ...process.env, REDISCLI_AUTH: spec.password }, timeout: 60_000 },
    );
    await settle(cluster, 60_000, false);
    if (spec.hostnames || spec.endpointType !== 'ip') {
      // Hostnames are set after creation: 7.0 refuses them in CLUSTER MEET.
      for (const node of nodes) {
        if (spec.hostnames)
          await cluster.cli(node, ['CONFIG', 'SET', 'cluster-announce-hostname', node.hostname]);
        await cluster.cli(node, ['CONFIG', 'SET', 'cluster-preferred-endpoint-type', spec.endpointType]);
      }
      await settle(cluster);
    }
  } catch (e) {
    if (process.env.KEEP_FAILED_CLUSTER !== '1') await cluster.stop();
    throw e;
  }
  log(`cluster ${spec.name} is ready`);
  return cluster;
}

/**
 * Waits until every node agrees: state ok, all nodes known and connected, every master has its
 * replicas listed in CLUSTER SLOTS (they are omitted until they have replicated something), no
 * node `loading` in CLUSTER SHARDS, and every hostname gossiped.
 */
export async function settle(
  cluster: RunningCluster,
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

/** Reads `redis-cli --json CLUSTER SLOTS`: ranges with their master address and node count. */
/** A CLUSTER SLOTS range: its slots, its master's address, how many nodes serve it. */
export interface SlotRange {
  start: number;
  end: number;
  ip: string;
  port: number;
  nodeCount: number;
}

function parseSlotsJson(json: string): SlotRange[] {
  if (!json.trim()) return [];
  const data = JSON.parse(json) as Array<
    [number, number, ...Array<[string | null, number, string, unknown]>]
  >;
  return data.map((range) => {
    const [start, end, ...nodes] = range;
    const master = nodes[0];
    return { start, end, ip: master?.[0] ?? '', port: master?.[1] ?? 0, nodeCount: nodes.length };
  });
}
