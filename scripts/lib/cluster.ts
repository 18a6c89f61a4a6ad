import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type CertSet, issue, makeCertSet } from './certs.js';
import { dockerRunner, type NodeRunner } from './docker.js';
import { type ClusterSpec, type EndpointType, LAYOUTS, nodeConfig } from './layouts.js';
import {
  PROCESSES,
  type RunnerChoice,
  attachedRunner,
  runnerChoice,
  stopLeftovers,
  stopPid,
} from './runners.js';
import { waitFor } from './wait.js';

import { settle } from './settle.js';

// What the tests and scripts import from here, wherever it lives now.
export { settle } from './settle.js';
export { DEFAULT_PASSWORD, DEFAULT_USER, LAYOUTS, nodeConfig } from './layouts.js';
export type { ClusterSpec, EndpointType } from './layouts.js';
export { positionals, runnerChoice, stopLeftovers } from './runners.js';
export type { RunnerChoice } from './runners.js';
export { sleep, waitFor } from './wait.js';

/**
 * A real TLS-only Redis Cluster on loopback, started from the machine's `redis-server` (7.0+):
 * every node on its own 127.0.0.x address (not 127.0.0.1, which stays free for the tunnel) and
 * announcing it, an ACL user with a password, a throwaway CA. It stops exactly the processes it
 * started, by PID. See LOCAL-CLUSTER.md for the pitfalls this handles.
 */

const run = promisify(execFile);

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

export async function redisServerVersion(): Promise<string> {
  const { stdout } = await run('redis-server', ['--version']);
  const m = /v=(\d+\.\d+\.\d+)/.exec(stdout);
  if (!m) throw new Error(`cannot read redis-server version from: ${stdout}`);
  return m[1];
}

/** Starts the cluster fresh (new data, new node ids) and waits until it is fully settled. */
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
    if (spec.standalone) {
      await waitForReplicas(cluster, 30_000);
      log(`primary and ${nodes.length - 1} replicas of ${spec.name} are ready`);
      return cluster;
    }
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

/** A standalone layout's replicas all report their link to the primary up. */
export async function waitForReplicas(cluster: RunningCluster, ms: number): Promise<void> {
  await waitFor('every replica to sync with its primary', ms, async () => {
    for (const n of cluster.nodes.filter((x) => x.pid)) {
      const info = await cluster.cli(n, ['INFO', 'replication']).catch(() => '');
      if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
    }
    return true;
  });
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
