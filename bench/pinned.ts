/**
 * The pinned rows of `npm run bench:e2e`: redis-benchmark against one master, directly over TLS,
 * through the tunnel (one process, and --workers 2) and through haproxy (1 and 2 threads, plain →
 * TLS, no rewriting), runs interleaved; medians, ratios and p99 against haproxy with as many
 * threads as the tunnel has processes, and the proxy's CPU per request.
 */
import { cpuSeconds } from './proc.js';
import { type BenchResult, median, redisBenchmark, roundRatios, warmUp, warmUpNote } from './measure.js';

export interface BenchPath {
  name: string;
  /** redis-benchmark's connection arguments. */
  args: string[];
  /** The processes whose CPU is the proxy's (none for direct TLS). */
  pids: number[];
  /** The haproxy path to compare with (same number of threads as processes here). */
  versus?: string;
}

interface Cell {
  set: BenchResult[];
  get: BenchResult[];
  cpu: number[];
}

export async function pinnedRows(
  paths: BenchPath[],
  o: { runs: number; clients: number; requests: Record<number, number> },
): Promise<string[]> {
  const rows: string[] = [];
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
  for (const pipeline of [1, 16]) {
    const cells = new Map<string, Cell>(paths.map((p) => [p.name, { set: [], get: [], cpu: [] }]));
    // Uncounted runs per path first, until its rate settles (see warmUp): the tunnel is a fresh
    // Node process, and the requests it serves before that would land in the first counted runs.
    const warm = new Map<string, number[]>();
    for (const p of paths)
      warm.set(
        p.name,
        await warmUp(p.args, { clients: o.clients, requests: o.requests[pipeline], pipeline }),
      );
    for (let i = 0; i < o.runs; i++)
      for (const p of paths) {
        const cpu = (): number => p.pids.reduce((s, pid) => s + cpuSeconds(pid), 0);
        const before = cpu();
        const r = await redisBenchmark(p.args, {
          clients: o.clients,
          requests: o.requests[pipeline],
          pipeline,
        });
        const cell = cells.get(p.name) as Cell;
        cell.set.push(r.set);
        cell.get.push(r.get);
        // SET and GET both ran: 2 x n requests through the proxy.
        cell.cpu.push(((cpu() - before) * 1e6) / (2 * o.requests[pipeline]));
      }
    const med = (name: string): { set: BenchResult; get: BenchResult } => {
      const c = cells.get(name) as Cell;
      const m = (xs: BenchResult[]): BenchResult => ({
        rps: median(xs.map((x) => x.rps)),
        p99: median(xs.map((x) => x.p99)),
      });
      return { set: m(c.set), get: m(c.get) };
    };
    const direct = med(paths[0].name);
    for (const p of paths) {
      const m = med(p.name);
      const c = cells.get(p.name) as Cell;
      const vs = p.versus ? med(p.versus) : null;
      // Beside the ratio of medians, each run against the versus path's run of the same round.
      const rps = (xs: BenchResult[]): number[] => xs.map((x) => x.rps);
      const rounds = (pick: (c: Cell) => BenchResult[]): string =>
        `by round ${roundRatios(rps(pick(c)), rps(pick(cells.get(p.versus as string) as Cell)))}`;
      const against = vs
        ? `  vs ${p.versus}: SET ${(m.set.rps / vs.set.rps).toFixed(2)}x (${rounds((x) => x.set)}) p99 ${m.set.p99} vs ${vs.set.p99} ms, GET ${(m.get.rps / vs.get.rps).toFixed(2)}x (${rounds((x) => x.get)}) p99 ${m.get.p99} vs ${vs.get.p99} ms`
        : '';
      const cpu = p.pids.length > 0 ? `  CPU ${median(c.cpu).toFixed(2)} us/req` : '';
      rows.push(
        `-P ${String(pipeline).padEnd(3)} ${p.name.padEnd(12)} SET ${fmt(m.set.rps)} (${(m.set.rps / direct.set.rps).toFixed(2)}x direct)  GET ${fmt(m.get.rps)} (${(m.get.rps / direct.get.rps).toFixed(2)}x direct)${cpu}${against}` +
          `   runs SET ${c.set.map((x) => Math.round(x.rps)).join('/')} GET ${c.get.map((x) => Math.round(x.rps)).join('/')}` +
          warmUpNote(warm.get(p.name)),
      );
    }
  }
  rows.push(
    '',
    '(Nx direct) = requests/s relative to direct TLS in the same run; CPU = user+system CPU of the proxy processes per request; p99 in ms, medians of the runs; "by round" = each run against the versus path\'s run of the same round, median (lowest-highest).',
  );
  return rows;
}
