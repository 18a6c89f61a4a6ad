/**
 * What the benchmarks share: the median, one timed conversation on a fresh connection, a
 * redis-benchmark run, and the real CLI started against the project's cluster.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import type * as net from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { RunningCluster } from '../scripts/lib/cluster.js';

const run = promisify(execFile);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Each round's ratio: `xs[i]` against the mean of `base[i]` and `base[i + 1]`, the baseline's runs
 * just before and just after it (`base` has one run more). Given as "median (lowest-highest)". On
 * this machine a run's rate drifts by up to 40 % over a minute, so the ratio of two medians can
 * compare runs far apart in time; a run against the baseline's runs around it cancels the drift.
 */
export function pairedRatios(xs: number[], base: number[]): string {
  return spread(xs.map((x, i) => x / ((base[i] + base[i + 1]) / 2)));
}

/** Each round's ratio: `xs[i]` against `base[i]`, the baseline's run of the same round. */
export function roundRatios(xs: number[], base: number[]): string {
  return spread(xs.map((x, i) => x / base[i]));
}

/** Ratios as "median (lowest-highest)". */
function spread(ratios: number[]): string {
  const r = [...ratios].sort((a, b) => a - b);
  return `${median(r).toFixed(2)}x (${r[0].toFixed(2)}-${r[r.length - 1].toFixed(2)})`;
}

/**
 * Opens a connection, sends `hello`, and resolves with the milliseconds until the reply ends with
 * `expect` (the connection is then closed).
 */
export function timedConversation(
  open: () => net.Socket,
  hello: string | Buffer,
  expect: string,
  timeoutMs = 20_000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const s = open();
    let got = '';
    s.setTimeout(timeoutMs, () => s.destroy(new Error('timeout')));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith(expect)) {
        s.destroy();
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      }
    });
    s.on('error', reject);
    s.write(hello);
  });
}

/** One redis-benchmark test's result: requests per second and the 99th percentile latency (ms). */
export interface BenchResult {
  rps: number;
  p99: number;
}

/**
 * Runs redis-benchmark `-t set,get --csv` with `args` (where and how to connect) and returns SET
 * and GET. `random` adds `-r 100000` (keys over every slot, for cluster and smart runs).
 */
export async function redisBenchmark(
  args: string[],
  o: { clients: number; requests: number; pipeline: number; random?: boolean },
): Promise<{ set: BenchResult; get: BenchResult }> {
  const { stdout } = await run(
    'redis-benchmark',
    [
      ...args,
      '-c',
      String(o.clients),
      '-n',
      String(o.requests),
      '-P',
      String(o.pipeline),
      ...(o.random ? ['-r', '100000'] : []),
      '-t',
      'set,get',
      '--csv',
    ],
    { timeout: 300_000, maxBuffer: 1 << 20 },
  );
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const result = (name: string): BenchResult => {
    const line = stdout.split('\n').find((l) => l.startsWith(`"${name}"`));
    if (!line) throw new Error(`no ${name} line in: ${stdout}`);
    const cells = line.split(',').map((c) => Number(c.replace(/"/g, '')));
    return { rps: cells[1], p99: cells[6] };
  };
  return { set: result('SET'), get: result('GET') };
}

/** Warm-up runs stop once two in a row agree this closely on GET/s (or after WARM_UP_MAX_RUNS). */
const WARM_UP_AGREEMENT = 0.05;
const WARM_UP_MAX_RUNS = 5;

/**
 * Uncounted full-length runs of one path until its GET rate settles: two runs in a row within
 * WARM_UP_AGREEMENT, at most WARM_UP_MAX_RUNS. A fresh tunnel process speeds up over its first
 * million or so requests (its compiled code, its young heap's size), haproxy barely does; the
 * figures are for a tunnel that has been running, as one serving an application has. Returns the
 * GET rates of the warm-up runs, for the report.
 */
export async function warmUp(
  args: string[],
  o: { clients: number; requests: number; pipeline: number; random?: boolean },
): Promise<number[]> {
  const rates: number[] = [];
  while (rates.length < WARM_UP_MAX_RUNS) {
    rates.push((await redisBenchmark(args, o)).get.rps);
    const [before, last] = rates.slice(-2);
    if (rates.length >= 2 && Math.abs(last - before) <= WARM_UP_AGREEMENT * before) break;
  }
  return rates;
}

/** A row's note of its path's warm-up runs (see warmUp). */
export function warmUpNote(rates: number[] | undefined): string {
  return `   warm-up GET ${(rates ?? []).map(Math.round).join('/')}`;
}

/**
 * Starts the real CLI against `cluster`'s first node (its user, CA and password), with `args`,
 * and resolves once it prints its ready line.
 */
export async function startTunnel(cluster: RunningCluster, args: string[]): Promise<ChildProcess> {
  const cli = resolve(import.meta.dirname ?? '.', '../src/cli.js');
  const seed = cluster.nodes[0];
  const url = `rediss://${cluster.spec.user}@${seed.ip}:${seed.port}`;
  const proc = spawn(
    process.execPath,
    [cli, url, '--cacert', cluster.certs.caCert, ...args, '--log-level', 'warn'],
    {
      env: { ...process.env, REDISCLI_AUTH: cluster.spec.password },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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
