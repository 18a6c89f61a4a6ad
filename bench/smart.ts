/**
 * The smart mode rows of `npm run bench:e2e`: redis-benchmark in standalone mode against the
 * smart port, cluster-mode redis-benchmark against the pinned ports and directly over TLS, with
 * random keys over every master; and the tunnel's RSS with 1,000 idle clients in each mode.
 */
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { promisify } from 'node:util';
import { cpuSeconds, rssMiB } from './proc.js';
import { median } from './measure.js';

const run = promisify(execFile);

export interface SmartBenchTargets {
  /** --cluster args reaching the cluster directly over TLS with AUTH. */
  direct: string[];
  pinnedPort: number;
  smartPort: number;
  tunnelPid: number;
  runs: number;
  clients: number;
  requests: Record<number, number>;
}

async function rps(
  args: string[],
  clients: number,
  n: number,
  pipeline: number,
): Promise<{ set: number; get: number }> {
  const { stdout } = await run(
    'redis-benchmark',
    [
      ...args,
      '-c',
      String(clients),
      '-n',
      String(n),
      '-P',
      String(pipeline),
      '-r',
      '100000',
      '-t',
      'set,get',
      '--csv',
    ],
    { timeout: 300_000, maxBuffer: 1 << 20 },
  );
  const value = (name: string): number =>
    Number(
      (stdout.split('\n').find((l) => l.startsWith(`"${name}"`)) ?? '').split(',')[1]?.replace(/"/g, ''),
    );
  return { set: value('SET'), get: value('GET') };
}

/** Opens `count` connections to a port, each sending one PING, and holds them until `close()`. */
async function idleClients(port: number, count: number): Promise<() => void> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from(
        { length: Math.min(100, count - i) },
        () =>
          new Promise<void>((ok, fail) => {
            const s = net.connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
            s.once('data', () => ok());
            s.once('error', fail);
            sockets.push(s);
          }),
      ),
    );
  }
  return () => sockets.forEach((s) => s.destroy());
}

export async function smartRows(t: SmartBenchTargets): Promise<string[]> {
  const paths: Array<[string, string[]]> = [
    ['direct TLS (--cluster)', t.direct],
    ['pinned (--cluster)', ['--cluster', '-h', '127.0.0.1', '-p', String(t.pinnedPort)]],
    ['smart (standalone)', ['-h', '127.0.0.1', '-p', String(t.smartPort)]],
  ];
  const rows = [
    '',
    `smart mode: redis-benchmark -c ${t.clients} -r 100000 -t set,get over every master; ${t.runs} interleaved runs, median requests/s`,
  ];
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
  for (const pipeline of [1, 16]) {
    const got = new Map<string, Array<{ set: number; get: number }>>(paths.map(([name]) => [name, []]));
    const cpu = new Map<string, number[]>(paths.map(([name]) => [name, []]));
    for (let i = 0; i < t.runs; i++)
      for (const [name, args] of paths) {
        const before = cpuSeconds(t.tunnelPid);
        got.get(name)?.push(await rps(args, t.clients, t.requests[pipeline], pipeline));
        // SET and GET: 2 x n requests; the tunnel's CPU only counts where it is in the path.
        cpu.get(name)?.push(((cpuSeconds(t.tunnelPid) - before) * 1e6) / (2 * t.requests[pipeline]));
      }
    const med = (name: string): { set: number; get: number } => {
      const r = got.get(name) ?? [];
      return { set: median(r.map((x) => x.set)), get: median(r.map((x) => x.get)) };
    };
    const pinned = med('pinned (--cluster)');
    for (const [name] of paths) {
      const m = med(name);
      const runs = got.get(name) ?? [];
      const tunnelCpu = name.startsWith('direct')
        ? ''
        : `  tunnel CPU ${median(cpu.get(name) ?? []).toFixed(2)} us/request`;
      rows.push(
        `-P ${String(pipeline).padEnd(3)} ${name.padEnd(23)} SET ${fmt(m.set)} (${(m.set / pinned.set).toFixed(2)}x pinned)  GET ${fmt(m.get)} (${(m.get / pinned.get).toFixed(2)}x pinned)${tunnelCpu}` +
          `   runs SET ${runs.map((x) => Math.round(x.set)).join('/')} GET ${runs.map((x) => Math.round(x.get)).join('/')}`,
      );
    }
  }
  // Pinned mode holds an upstream per client (10,000 would pass a node's default maxclients), so
  // the 10,000 row is smart mode's, whose clients share the upstreams.
  for (const [mode, port, count] of [
    ['pinned', t.pinnedPort, 1000],
    ['smart', t.smartPort, 1000],
    ['smart', t.smartPort, 10_000],
  ] as const) {
    const before = rssMiB(t.tunnelPid);
    const close = await idleClients(port, count);
    await new Promise((r) => setTimeout(r, 500));
    const held = rssMiB(t.tunnelPid);
    close();
    await new Promise((r) => setTimeout(r, 1000));
    rows.push(
      `${count.toLocaleString('en-US')} idle clients (one PING each), ${mode.padEnd(6)}: tunnel RSS ${before.toFixed(1)} -> ${held.toFixed(1)} MiB (+${(((held - before) * 1024) / count).toFixed(1)} KiB per client)`,
    );
  }
  return rows;
}
