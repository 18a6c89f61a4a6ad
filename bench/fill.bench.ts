/**
 * fill's benchmark: its SET rate against redis-benchmark `--cluster -P 16 -t set` with the same
 * value size, on the project's TLS cluster, runs interleaved, medians and the ratio.
 *   npm run bench:fill     (BENCH_RUNS=3, BENCH_FILL_GB=0.25, BENCH_VALUE_SIZE=256)
 * Each run starts from an empty cluster (FLUSHALL on every master), for both.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { LAYOUTS, startCluster } from '../scripts/lib/cluster.js';
import { median } from './measure.js';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GB = Number(process.env.BENCH_FILL_GB ?? 0.25);
const VALUE = Number(process.env.BENCH_VALUE_SIZE ?? 256);
const CLI = resolve('dist/src/cli.js');

async function main(): Promise<void> {
  const cluster = await startCluster(LAYOUTS.default, (m) => process.stderr.write(`[cluster] ${m}\n`));
  try {
    const seed = cluster.nodes[0];
    const tls = [
      '--tls',
      '--cacert',
      cluster.certs.caCert,
      '--user',
      cluster.spec.user,
      '-a',
      cluster.spec.password,
    ];
    const env = { ...process.env, REDISCLI_AUTH: cluster.spec.password };
    const keys = Math.ceil((GB * 2 ** 30) / VALUE);
    const flush = async (): Promise<void> => {
      for (const r of await cluster.slotRanges()) await cluster.cli({ ip: r.ip, port: r.port }, ['FLUSHALL']);
    };
    const fills: number[] = [];
    const benchmarks: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await flush();
      const { stdout } = await run(
        process.execPath,
        [
          CLI,
          'fill',
          `rediss://${cluster.spec.user}@${seed.ip}:${seed.port}`,
          '--cacert',
          cluster.certs.caCert,
          '--gb',
          String(GB),
          '--value-size',
          String(VALUE),
        ],
        { env, timeout: 600_000 },
      );
      fills.push(Number(/([\d,]+) SET\/s/.exec(stdout)?.[1].replace(/,/g, '')));
      await flush();
      const b = await run(
        'redis-benchmark',
        [
          '--cluster',
          ...tls,
          '-h',
          seed.ip,
          '-p',
          String(seed.port),
          '-c',
          '50',
          '-P',
          '16',
          '-t',
          'set',
          '-d',
          String(VALUE),
          '-n',
          String(keys),
          '-r',
          String(keys),
          '--csv',
        ],
        { env, timeout: 600_000, maxBuffer: 1 << 20 },
      );
      const line = b.stdout.split('\n').find((l) => l.startsWith('"SET"')) ?? '';
      benchmarks.push(Number(line.split(',')[1]?.replace(/"/g, '')));
    }
    const f = median(fills);
    const r = median(benchmarks);
    process.stdout.write(
      [
        `fill --gb ${GB} --value-size ${VALUE} (${keys.toLocaleString('en-US')} keys) vs redis-benchmark --cluster -c 50 -P 16 -t set -d ${VALUE} -n ${keys}; ${RUNS} interleaved runs, medians`,
        `fill             ${Math.round(f).toLocaleString('en-US').padStart(9)} SET/s   runs ${fills.join('/')}`,
        `redis-benchmark  ${Math.round(r).toLocaleString('en-US').padStart(9)} SET/s   runs ${benchmarks.map(Math.round).join('/')}`,
        `fill / redis-benchmark: ${(f / r).toFixed(2)}x (target >= 1.00x)`,
      ].join('\n') + '\n',
    );
  } finally {
    await cluster.stop();
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
