import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import type { RunningCluster } from '../../../scripts/lib/cluster.js';
import { keyForSlot } from '../../../src/topology/hash-slot.js';
import { redisCli } from './tunnel.js';

const run = promisify(execFile);
const LOCAL = '127.0.0.1';

export interface WorkloadReport {
  redisCli: { keys: number; errors: string[] };
  ioredis: { keys: number; errors: number; nodes: number[] };
  nodeRedis: { keys: number; errors: number; masters: number[] };
  redisPy: { keys: number; errors: string[]; nodes: number[]; mismatches: number };
}

/**
 * The same mixed workload from four clients through the tunnel's seed listener, none given a
 * password; every error is collected, not thrown, so a test can assert zero.
 */
export async function mixedWorkload(
  cluster: RunningCluster,
  seedPort: number,
  prefix: string,
): Promise<WorkloadReport> {
  const report: WorkloadReport = {
    redisCli: { keys: 0, errors: [] },
    ioredis: { keys: 0, errors: 0, nodes: [] },
    nodeRedis: { keys: 0, errors: 0, masters: [] },
    redisPy: { keys: 0, errors: [], nodes: [], mismatches: 0 },
  };
  for (const r of await cluster.slotRanges()) {
    for (const slot of [r.start, Math.floor((r.start + r.end) / 2), r.end]) {
      const key = keyForSlot(slot, `${prefix}:cli:`);
      const set = (await redisCli(['-c', '-p', String(seedPort), 'SET', key, `v${slot}`])).trim();
      const get = (await redisCli(['-c', '-p', String(seedPort), 'GET', key])).trim();
      report.redisCli.keys++;
      if (set !== 'OK' || get !== `v${slot}`) report.redisCli.errors.push(`${key}: ${set} / ${get}`);
    }
  }

  const io = new Cluster([{ host: LOCAL, port: seedPort }]);
  try {
    const keys = Array.from({ length: 1000 }, (_, i) => `${prefix}:io:${i}`);
    await Promise.all(keys.map((k, i) => io.set(k, String(i)).catch(() => report.ioredis.errors++)));
    const values = await Promise.all(keys.map((k) => io.get(k).catch(() => null)));
    report.ioredis.errors += values.filter((v, i) => v !== String(i)).length;
    const tx = await io.multi().incr(`{${prefix}}:n`).incr(`{${prefix}}:n`).exec();
    if (!tx || tx.some(([e]) => e)) report.ioredis.errors++;
    report.ioredis.keys = keys.length;
    report.ioredis.nodes = io
      .nodes('all')
      .map((n) => Number(n.options.port))
      .sort((a, b) => a - b);
  } finally {
    io.disconnect();
  }

  const nr = createCluster({ rootNodes: [{ url: `redis://${LOCAL}:${seedPort}` }], RESP: 3 });
  nr.on('error', () => report.nodeRedis.errors++);
  await nr.connect();
  try {
    const keys = Array.from({ length: 500 }, (_, i) => `${prefix}:nr:${i}`);
    await Promise.all(keys.map((k, i) => nr.set(k, String(i)).catch(() => report.nodeRedis.errors++)));
    const values = await Promise.all(keys.map((k) => nr.get(k).catch(() => null)));
    report.nodeRedis.errors += values.filter((v, i) => v !== String(i)).length;
    report.nodeRedis.keys = keys.length;
    report.nodeRedis.masters = nr.masters.map((m) => m.port).sort((a, b) => a - b);
  } finally {
    await nr.close();
  }

  const script = resolve(__dirname, '../clients/redis_py_workload.py');
  const { stdout } = await run('/usr/bin/python3', [script, LOCAL, String(seedPort), '300'], {
    timeout: 120_000,
  });
  const py = JSON.parse(stdout.trim().split('\n').pop() as string) as {
    nodes: string[];
    errors: string[];
    error_count: number;
    mismatches: number;
  };
  report.redisPy = {
    keys: 300,
    errors: py.error_count ? py.errors : [],
    nodes: py.nodes.map((n) => Number(n.split(':').pop())).sort((a, b) => a - b),
    mismatches: py.mismatches,
  };
  return report;
}
