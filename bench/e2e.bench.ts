/**
 * End-to-end benchmark: redis-benchmark against one master directly over TLS, and through the
 * tunnel (plaintext; clients with no password, and clients that send AUTH), with -P 1 and -P 16,
 * runs interleaved, medians and ratios.
 * When haproxy is installed, it runs too as a plain → TLS forwarder to the same master (no
 * rewriting, no AUTH for the client): the bar LOCAL-CLUSTER.md sets is "at least as fast as haproxy".
 *   npm run bench:e2e            (BENCH_RUNS=3, BENCH_CLIENTS=50)
 * Starts the project's TLS cluster, the real CLI (and haproxy) as separate processes; stops them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LAYOUTS, type SlotRange, startCluster } from '../scripts/lib/cluster.js';
import { hashSlot } from '../src/topology/hash-slot.js';
import { withChildren } from './proc.js';
import { connectRows } from './connect.js';
import { relayRows } from './relay.js';
import { smartRows } from './smart.js';
import { type BenchPath, pinnedRows } from './pinned.js';
import { startTunnel } from './measure.js';

const run = promisify(execFile);
/** Where the --workers 2 tunnel listens: a loopback address of its own, so its ports clash with nothing. */
const WORKERS_BIND = '127.0.0.3';
/** Where the --no-share tunnel listens (every pinned client with a connection of its own). */
const OWN_BIND = '127.0.0.9';
/** Where the tunnel's smart port listens during the benchmark. */
const SMART_PORT = 17998;
/** A smart-mode tunnel of its own with --read-from replica, for the row beside the default's. */
const REPLICA_READS_PORT = 17996;
/** A smart-mode tunnel with --no-hot-keys: the cost of sampling keys, by difference. */
const NO_HOT_KEYS_PORT = 17995;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** BENCH_ONLY=smart (or connect) runs those rows alone. */
const ONLY = process.env.BENCH_ONLY;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const REQUESTS: Record<number, number> = {
  1: Number(process.env.BENCH_N1 ?? 100_000),
  16: Number(process.env.BENCH_N16 ?? 1_000_000),
};

/** haproxy forwarding 127.0.0.1:<listen> (plain) to the node over TLS with verification, or null if absent. */
async function startHaproxy(
  listen: number,
  ip: string,
  port: number,
  ca: string,
  threads: number,
): Promise<ChildProcess | null> {
  try {
    await run('haproxy', ['-v']);
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'rct-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 4096',
      `  nbthread ${threads}`,
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 120s',
      '  timeout server 120s',
      'frontend plain',
      `  bind 127.0.0.1:${listen}`,
      '  default_backend cluster_node',
      'backend cluster_node',
      `  server node ${ip}:${port} ssl verify required ca-file ${ca}`,
      '',
    ].join('\n'),
  );
  const proc = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((r) => setTimeout(r, 500));
  return proc;
}

async function main(): Promise<void> {
  const cluster = await startCluster(LAYOUTS.default, (m) => process.stderr.write(`[cluster] ${m}\n`));
  let tunnel: ChildProcess | undefined;
  let tunnel2: ChildProcess | undefined;
  let tunnelOwn: ChildProcess | undefined;
  let tunnelReplicas: ChildProcess | undefined;
  let tunnelNoHotKeys: ChildProcess | undefined;
  let haproxy: ChildProcess | null = null;
  let haproxy2: ChildProcess | null = null;
  try {
    // redis-benchmark's default key is literally key:__rand_int__: bench the master that owns it.
    const slot = hashSlot('key:__rand_int__');
    const { ip, port } = (await cluster.slotRanges()).find(
      (r) => slot >= r.start && slot <= r.end,
    ) as SlotRange;
    tunnel = await startTunnel(cluster, ['--mode', 'both', '--smart-port', String(SMART_PORT)]);
    const auth = ['--user', cluster.spec.user, '-a', cluster.spec.password];
    const direct = ['--tls', '--cacert', cluster.certs.caCert, '-h', ip, '-p', String(port), ...auth];
    haproxy = await startHaproxy(17999, ip, port, cluster.certs.caCert, 1);
    haproxy2 = await startHaproxy(17997, ip, port, cluster.certs.caCert, 2);
    tunnel2 = await startTunnel(cluster, ['--bind', WORKERS_BIND, '--workers', '2']);
    tunnelOwn = await startTunnel(cluster, ['--bind', OWN_BIND, '--no-share']);
    if (!ONLY || ONLY === 'smart')
      tunnelReplicas = await startTunnel(cluster, [
        '--mode',
        'smart',
        '--smart-port',
        String(REPLICA_READS_PORT),
        '--read-from',
        'replica',
      ]);
    if (!ONLY || ONLY === 'smart')
      tunnelNoHotKeys = await startTunnel(cluster, [
        '--mode',
        'smart',
        '--smart-port',
        String(NO_HOT_KEYS_PORT),
        '--no-hot-keys',
      ]);
    await new Promise((r) => setTimeout(r, 1000)); // both workers' warm pools fill
    process.stdout.write(
      `redis-benchmark -c ${CLIENTS} -t set,get against master ${ip}:${port}; ${RUNS} interleaved runs per cell, median requests/s\n` +
        `node ${process.version}, redis-benchmark from ${(await run('redis-benchmark', ['--version'])).stdout.trim()}, ${availableParallelism()} cores\n\n`,
    );
    /** A haproxy path, when haproxy is installed; a tunnel path is compared with it then. */
    const viaHaproxy = (name: string, listen: number, proc: ChildProcess | null): BenchPath[] =>
      proc
        ? [{ name, args: ['-h', '127.0.0.1', '-p', String(listen), ...auth], pids: [proc.pid as number] }]
        : [];
    const paths: BenchPath[] = [
      { name: 'direct TLS', args: direct, pids: [] },
      {
        name: 'tunnel',
        args: ['-h', '127.0.0.1', '-p', String(port)],
        pids: [tunnel.pid as number],
        versus: haproxy ? 'haproxy' : undefined,
      },
      ...viaHaproxy('haproxy', 17999, haproxy),
      {
        // Clients that send AUTH (the tunnel's own user), as most application configs do.
        name: 'tunnel AUTH',
        args: ['-h', '127.0.0.1', '-p', String(port), ...auth],
        pids: [tunnel.pid as number],
        versus: haproxy ? 'haproxy' : undefined,
      },
      {
        name: 'tunnel own',
        args: ['-h', OWN_BIND, '-p', String(port)],
        pids: [tunnelOwn.pid as number],
        versus: haproxy ? 'haproxy' : undefined,
      },
      {
        name: 'tunnel x2',
        args: ['-h', WORKERS_BIND, '-p', String(port)],
        pids: withChildren(tunnel2.pid as number),
        versus: haproxy2 ? 'haproxy x2' : undefined,
      },
      ...viaHaproxy('haproxy x2', 17997, haproxy2),
    ];
    const rows: string[] = [];
    if (!ONLY || ONLY === 'pinned')
      rows.push(...(await pinnedRows(paths, { runs: RUNS, clients: CLIENTS, requests: REQUESTS })));
    const seed = cluster.nodes[0];
    if (!ONLY || ONLY === 'connect')
      rows.push(
        ...(await connectRows({
          tunnelPort: port,
          workersHost: WORKERS_BIND,
          ownHost: OWN_BIND,
          direct: {
            host: ip,
            port,
            caFile: cluster.certs.caCert,
            user: cluster.spec.user,
            password: cluster.spec.password,
          },
          count: Number(process.env.BENCH_CONNECTIONS ?? 300),
        })),
      );
    if (!ONLY || ONLY === 'smart')
      rows.push(
        ...(await smartRows({
          direct: [
            '--cluster',
            '--tls',
            '--cacert',
            cluster.certs.caCert,
            '-h',
            seed.ip,
            '-p',
            String(seed.port),
            ...auth,
          ],
          pinnedPort: seed.port,
          nodePorts: cluster.nodes.map((n) => n.port),
          workers: { host: WORKERS_BIND, pids: () => withChildren(tunnel2?.pid as number) },
          ownConnections: { host: OWN_BIND, pids: () => [tunnelOwn?.pid as number] },
          smartPort: SMART_PORT,
          replicaReads: { port: REPLICA_READS_PORT, pid: tunnelReplicas?.pid as number },
          noHotKeys: { port: NO_HOT_KEYS_PORT, pid: tunnelNoHotKeys?.pid as number },
          auth,
          tunnelPid: tunnel.pid as number,
          runs: RUNS,
          clients: CLIENTS,
          requests: REQUESTS,
        })),
      );
    // Last: its failover row kills a master.
    if (!ONLY || ONLY === 'relay')
      rows.push(
        ...(await relayRows(
          cluster,
          Number(process.env.BENCH_RELAY_MS ?? 20),
          Number(process.env.BENCH_RELAY_CONNECTIONS ?? 20),
        )),
      );
    process.stdout.write(rows.join('\n') + '\n');
  } finally {
    for (const proc of [haproxy, haproxy2, tunnel, tunnel2, tunnelOwn, tunnelReplicas, tunnelNoHotKeys]) {
      if (!proc || proc.exitCode !== null) continue;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    await cluster.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:e2e failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
