/**
 * The smart mode rows of `npm run bench:e2e`: redis-benchmark in standalone mode against the
 * smart port, cluster-mode redis-benchmark against the pinned ports and directly over TLS, with
 * random keys over every master; and the tunnel's RSS with 1,000 and 10,000 idle clients.
 */
import * as net from 'node:net';
import { cpuSeconds, rssMiB } from './proc.js';
import { median, pairedRatios, redisBenchmark, warmUp, warmUpNote } from './measure.js';
import { samplingCostRow } from './hot-keys.js';

export interface SmartBenchTargets {
  /** --cluster args reaching the cluster directly over TLS with AUTH. */
  direct: string[];
  pinnedPort: number;
  /** Every node's local port: pinned mode's idle clients are spread over them. */
  nodePorts: number[];
  /** The --workers 2 tunnel (same ports): the processes whose memory counts, and its address. */
  workers: { host: string; pids: () => number[] };
  /** The --no-share tunnel (same ports): every pinned client has a connection of its own. */
  ownConnections: { host: string; pids: () => number[] };
  smartPort: number;
  /** A smart tunnel of its own with --read-from replica: its port and process. */
  replicaReads: { port: number; pid: number };
  /** A smart tunnel of its own with --no-hot-keys, to show what sampling keys costs. */
  noHotKeys: { port: number; pid: number };
  /** `--user U -a P`, as applications that send AUTH connect (the tunnel's own user). */
  auth: string[];
  tunnelPid: number;
  runs: number;
  clients: number;
  requests: Record<number, number>;
}

/**
 * Opens `count` connections over `ports` in turn, each sending one PING, and holds them until
 * `close()`. `refused` counts the clients whose answer was not +PONG (the first one's is kept):
 * the row says so, as an idle client that got an error is not an idle client served.
 */
async function idleClients(
  host: string,
  ports: number[],
  count: number,
): Promise<{ close: () => void; refused: number; firstRefusal: string }> {
  const sockets: net.Socket[] = [];
  let refused = 0;
  let firstRefusal = '';
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from(
        { length: Math.min(100, count - i) },
        () =>
          new Promise<void>((ok, fail) => {
            const port = ports[sockets.length % ports.length];
            const s = net.connect({ host, port }, () => s.write('PING\r\n'));
            s.once('data', (reply: Buffer) => {
              const text = reply.toString('latin1');
              if (text !== '+PONG\r\n' && refused++ === 0) firstRefusal = text.trim();
              ok();
            });
            s.once('error', fail);
            sockets.push(s);
          }),
      ),
    );
  }
  return { close: () => sockets.forEach((s) => s.destroy()), refused, firstRefusal };
}

export async function smartRows(t: SmartBenchTargets): Promise<string[]> {
  const pinnedArgs = ['--cluster', '-h', '127.0.0.1', '-p', String(t.pinnedPort)];
  // Pinned first in each round: every other path's run lies between two pinned runs (see below).
  const paths: Array<[string, string[], number?]> = [
    ['pinned (--cluster)', pinnedArgs],
    ['direct TLS (--cluster)', t.direct],
    ['smart (standalone)', ['-h', '127.0.0.1', '-p', String(t.smartPort)]],
    ['smart AUTH', ['-h', '127.0.0.1', '-p', String(t.smartPort), ...t.auth]],
    // GETs to the replicas, SETs to the masters; its CPU is its own tunnel's.
    ['smart --no-hot-keys', ['-h', '127.0.0.1', '-p', String(t.noHotKeys.port)], t.noHotKeys.pid],
    ['smart read-from replica', ['-h', '127.0.0.1', '-p', String(t.replicaReads.port)], t.replicaReads.pid],
  ];
  const rows = [
    '',
    `smart mode: redis-benchmark -c ${t.clients} -r 100000 -t set,get over every master; uncounted runs per path until its rate settles, then ${t.runs} interleaved runs (pinned first, and once more at the end), median requests/s; "by round": each run against the mean of the pinned runs before and after it, median (lowest-highest)`,
  ];
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
  for (const pipeline of [1, 16]) {
    const got = new Map<string, Array<{ set: number; get: number }>>(paths.map(([name]) => [name, []]));
    const cpu = new Map<string, number[]>(paths.map(([name]) => [name, []]));
    // Uncounted runs per path first, until its rate settles, as the pinned rows do (see warmUp).
    const warm = new Map<string, number[]>();
    for (const [name, args] of paths)
      warm.set(
        name,
        await warmUp(args, { clients: t.clients, requests: t.requests[pipeline], pipeline, random: true }),
      );
    for (let i = 0; i < t.runs; i++)
      for (const [name, args, pid = t.tunnelPid] of paths) {
        const before = cpuSeconds(pid);
        const r = await redisBenchmark(args, {
          clients: t.clients,
          requests: t.requests[pipeline],
          pipeline,
          random: true,
        });
        got.get(name)?.push({ set: r.set.rps, get: r.get.rps });
        // SET and GET: 2 x n requests; the tunnel's CPU only counts where it is in the path.
        cpu.get(name)?.push(((cpuSeconds(pid) - before) * 1e6) / (2 * t.requests[pipeline]));
      }
    // One pinned run more, after the last round: each round's paths are compared with the mean of
    // the pinned runs before and after them (see pairedRatios). It counts in no median.
    const closing = await redisBenchmark(pinnedArgs, {
      clients: t.clients,
      requests: t.requests[pipeline],
      pipeline,
      random: true,
    });
    const med = (name: string): { set: number; get: number } => {
      const r = got.get(name) ?? [];
      return { set: median(r.map((x) => x.set)), get: median(r.map((x) => x.get)) };
    };
    const pinned = med('pinned (--cluster)');
    const pinnedRuns = [
      ...(got.get('pinned (--cluster)') ?? []),
      { set: closing.set.rps, get: closing.get.rps },
    ];
    for (const [name] of paths) {
      const m = med(name);
      const runs = got.get(name) ?? [];
      // The pinned row gives its closing run, which brackets the last round with its last run.
      const paired = (pick: (x: { set: number; get: number }) => number): string =>
        name === 'pinned (--cluster)'
          ? `closing run ${Math.round(pick(pinnedRuns[t.runs]))}`
          : `by round ${pairedRatios(runs.map(pick), pinnedRuns.map(pick))}`;
      const tunnelCpu = name.startsWith('direct')
        ? ''
        : `  tunnel CPU ${median(cpu.get(name) ?? []).toFixed(2)} us/request`;
      rows.push(
        `-P ${String(pipeline).padEnd(3)} ${name.padEnd(23)} SET ${fmt(m.set)} (${(m.set / pinned.set).toFixed(2)}x pinned; ${paired((x) => x.set)})  GET ${fmt(m.get)} (${(m.get / pinned.get).toFixed(2)}x pinned; ${paired((x) => x.get)})${tunnelCpu}` +
          `   runs SET ${runs.map((x) => Math.round(x.set)).join('/')} GET ${runs.map((x) => Math.round(x.get)).join('/')}` +
          warmUpNote(warm.get(name)),
      );
    }
    rows.push(samplingCostRow(pipeline, median(cpu.get('smart (standalone)') ?? [])));
  }
  // A pinned client whose requests take the shared connection holds one descriptor in the tunnel
  // (its socket), as a smart client does; with --no-share it holds two (and its upstream's TLS).
  const one = { host: '127.0.0.1', pids: () => [t.tunnelPid] };
  const rss = (pids: number[]): number => pids.reduce((sum, pid) => sum + rssMiB(pid), 0);
  for (const [label, tunnel, ports, count] of [
    ['pinned', one, t.nodePorts, 1000],
    ['pinned', one, t.nodePorts, 10_000],
    ['pinned, --no-share', t.ownConnections, t.nodePorts, 1000],
    ['smart', one, [t.smartPort], 1000],
    ['smart', one, [t.smartPort], 10_000],
  ] as const) {
    const before = rss(tunnel.pids());
    const { close, refused, firstRefusal } = await idleClients(tunnel.host, [...ports], count);
    await new Promise((r) => setTimeout(r, 1000));
    const held = rss(tunnel.pids());
    close();
    await new Promise((r) => setTimeout(r, 2000));
    rows.push(
      `${count.toLocaleString('en-US')} idle clients (one PING each), ${label.padEnd(19)}: tunnel RSS ${before.toFixed(1)} -> ${held.toFixed(1)} MiB (+${(((held - before) * 1024) / count).toFixed(1)} KiB per client; target <= 64)` +
        (refused > 0 ? `; ${refused} answered other than +PONG, the first: ${firstRefusal}` : ''),
    );
  }
  return rows;
}
