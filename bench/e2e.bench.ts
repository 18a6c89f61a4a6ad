/**
 * End-to-end benchmark: redis-benchmark against one master directly over TLS, and through the
 * tunnel (plaintext, no password), with -P 1 and -P 16, runs interleaved, medians and ratios.
 * When haproxy is installed, it runs too as a plain → TLS forwarder to the same master (no
 * rewriting, no AUTH for the client): the bar LOCAL-CLUSTER.md sets is "at least as fast as haproxy".
 *   npm run bench:e2e            (BENCH_RUNS=3, BENCH_CLIENTS=50)
 * Starts the project's TLS cluster, the real CLI (and haproxy) as separate processes; stops them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LAYOUTS, type SlotRange, startCluster } from '../scripts/lib/cluster.js';
import { hashSlot } from '../src/topology/hash-slot.js';
import { cpuSeconds } from './proc.js';
import { connectRows } from './connect.js';
import { relayRows } from './relay.js';
import { smartRows } from './smart.js';
import { median } from './measure.js';

const run = promisify(execFile);
/** Where the tunnel's smart port listens during the benchmark. */
const SMART_PORT = 17998;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** BENCH_ONLY=smart (or connect) runs those rows alone. */
const ONLY = process.env.BENCH_ONLY;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const REQUESTS: Record<number, number> = {
  1: Number(process.env.BENCH_N1 ?? 100_000),
  16: Number(process.env.BENCH_N16 ?? 1_000_000),
};

/** CPU seconds (user + system) a process has used so far, from /proc. */

async function benchmark(args: string[], pipeline: number): Promise<{ set: number; get: number }> {
  const { stdout } = await run(
    'redis-benchmark',
    [
      ...args,
      '-c',
      String(CLIENTS),
      '-n',
      String(REQUESTS[pipeline]),
      '-P',
      String(pipeline),
      '-t',
      'set,get',
      '--csv',
    ],
    { timeout: 300_000, maxBuffer: 1 << 20 },
  );
  const rps = (name: string): number => {
    const line = stdout.split('\n').find((l) => l.startsWith(`"${name}"`));
    if (!line) throw new Error(`no ${name} line in: ${stdout}`);
    return Number(line.split(',')[1].replace(/"/g, ''));
  };
  return { set: rps('SET'), get: rps('GET') };
}

export async function startTunnel(args: string[], password: string): Promise<ChildProcess> {
  const cli = resolve(import.meta.dirname ?? '.', '../src/cli.js');
  const proc = spawn(process.execPath, [cli, ...args, '--log-level', 'warn'], {
    env: { ...process.env, REDISCLI_AUTH: password },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ok, fail) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready:')) ok();
    });
    proc.once('exit', (code) => fail(new Error(`tunnel exited with ${code}`)));
  });
  return proc;
}

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
  let haproxy: ChildProcess | null = null;
  try {
    // redis-benchmark's default key is literally key:__rand_int__: bench the master that owns it.
    const slot = hashSlot('key:__rand_int__');
    const { ip, port } = (await cluster.slotRanges()).find(
      (r) => slot >= r.start && slot <= r.end,
    ) as SlotRange;
    tunnel = await startTunnel(
      [
        `rediss://${cluster.spec.user}@${cluster.nodes[0].ip}:${cluster.nodes[0].port}`,
        '--cacert',
        cluster.certs.caCert,
        '--mode',
        'both',
        '--smart-port',
        String(SMART_PORT),
      ],
      cluster.spec.password,
    );
    const auth = ['--user', cluster.spec.user, '-a', cluster.spec.password];
    const direct = ['--tls', '--cacert', cluster.certs.caCert, '-h', ip, '-p', String(port), ...auth];
    const viaTunnel = ['-h', '127.0.0.1', '-p', String(port)];
    haproxy = await startHaproxy(17999, ip, port, cluster.certs.caCert, 1);
    const viaHaproxy = ['-h', '127.0.0.1', '-p', '17999', ...auth];
    process.stdout.write(
      `redis-benchmark -c ${CLIENTS} -t set,get against master ${ip}:${port}; ${RUNS} interleaved runs per cell, median requests/s\n` +
        `node ${process.version}, redis-benchmark from ${(await run('redis-benchmark', ['--version'])).stdout.trim()}\n\n`,
    );
    const rows: string[] = [];
    const paths: Array<[string, string[], number | undefined]> = [
      ['direct TLS', direct, undefined],
      ['tunnel', viaTunnel, tunnel.pid],
      ...(haproxy
        ? ([['haproxy', viaHaproxy, haproxy.pid]] as Array<[string, string[], number | undefined]>)
        : []),
    ];
    const cpu = new Map<string, number[]>();
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
    for (const pipeline of ONLY && ONLY !== 'pinned' ? [] : [1, 16]) {
      const results = new Map<string, Array<{ set: number; get: number }>>(paths.map(([name]) => [name, []]));
      for (let i = 0; i < RUNS; i++) {
        for (const [name, args, pid] of paths) {
          const before = cpuSeconds(pid);
          results.get(name)?.push(await benchmark(args, pipeline));
          // Both SET and GET ran: 2 x n requests through the proxy.
          const key = `${name} ${pipeline}`;
          cpu.set(key, [
            ...(cpu.get(key) ?? []),
            ((cpuSeconds(pid) - before) * 1e6) / (2 * REQUESTS[pipeline]),
          ]);
        }
      }
      const med = (name: string): { set: number; get: number } => {
        const r = results.get(name) ?? [];
        return { set: median(r.map((x) => x.set)), get: median(r.map((x) => x.get)) };
      };
      const d = med('direct TLS');
      for (const [name, , pid] of paths) {
        const m = med(name);
        const runs = results.get(name) ?? [];
        const cpuPerRequest = pid
          ? `  proxy CPU ${median(cpu.get(`${name} ${pipeline}`) ?? []).toFixed(2)} us/request`
          : '';
        rows.push(
          `-P ${String(pipeline).padEnd(3)} ${name.padEnd(11)} SET ${fmt(m.set)} (${(m.set / d.set).toFixed(2)}x)  GET ${fmt(m.get)} (${(m.get / d.get).toFixed(2)}x)${cpuPerRequest}` +
            `   runs SET ${runs.map((x) => Math.round(x.set)).join('/')} GET ${runs.map((x) => Math.round(x.get)).join('/')}`,
        );
      }
    }
    rows.push(
      '',
      '(Nx) = requests/s relative to direct TLS in the same run; proxy CPU = user+system CPU of the proxy process per request.',
    );
    const seed = cluster.nodes[0];
    if (!ONLY || ONLY === 'connect')
      rows.push(
        ...(await connectRows({
          tunnelPort: port,
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
    if (!ONLY || ONLY === 'relay')
      rows.push(
        ...(await relayRows(
          cluster,
          startTunnel,
          Number(process.env.BENCH_RELAY_MS ?? 20),
          Number(process.env.BENCH_RELAY_CONNECTIONS ?? 20),
        )),
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
          smartPort: SMART_PORT,
          tunnelPid: tunnel.pid as number,
          runs: RUNS,
          clients: CLIENTS,
          requests: REQUESTS,
        })),
      );
    process.stdout.write(rows.join('\n') + '\n');
  } finally {
    if (haproxy) {
      haproxy.kill('SIGTERM');
      await new Promise((r) => haproxy?.once('exit', r));
    }
    if (tunnel) {
      tunnel.kill('SIGTERM');
      await new Promise((r) => tunnel?.once('exit', r));
    }
    await cluster.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:e2e failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
