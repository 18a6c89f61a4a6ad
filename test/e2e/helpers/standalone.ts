/**
 * What programs that do not speak Cluster do against the smart port, the same in every test that
 * has one: ioredis `new Redis()`, node-redis `createClient` (RESP2 and RESP3), redis-py `Redis()`
 * and redis-benchmark in standalone mode. Errors are counted, not thrown, so a test asserts zero.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

const run = promisify(execFile);
const LOCAL = '127.0.0.1';

export interface StandaloneReport {
  /** Per client: requests that failed or read back wrong, and what went wrong first. */
  ioredis: { errors: number; first?: string };
  nodeRedis2: { errors: number; first?: string };
  nodeRedis3: { errors: number; first?: string };
  redisPy: { errors: string[]; mismatches: number };
}

type Tally = { errors: number; first?: string };

function fail(t: Tally, why: unknown): void {
  t.errors++;
  t.first ??= String(why);
}

async function ioredis(port: number, prefix: string, t: Tally): Promise<void> {
  const io = new Redis({ host: LOCAL, port, maxRetriesPerRequest: 1 });
  try {
    const keys = Array.from({ length: 1000 }, (_, i) => `${prefix}:io:${i}`);
    await Promise.all(keys.map((k, i) => io.set(k, String(i)).catch((e) => fail(t, e))));
    const got = await io.mget(...keys);
    got.forEach((v, i) => v !== String(i) && fail(t, `${keys[i]} read back ${v}`));
    const results = await keys.reduce((p, k) => p.incr(`${k}:n`), io.pipeline()).exec();
    for (const [e, v] of results ?? []) if (e || v !== 1) fail(t, e ?? `INCR gave ${String(v)}`);
    const deleted = await io.del(...keys, ...keys.map((k) => `${k}:n`));
    if (deleted !== keys.length * 2) fail(t, `DEL removed ${deleted}`);
  } catch (e) {
    fail(t, e);
  } finally {
    io.disconnect();
  }
}

async function nodeRedis(port: number, prefix: string, RESP: 2 | 3, t: Tally): Promise<void> {
  const client = createClient({ url: `redis://${LOCAL}:${port}`, RESP });
  client.on('error', (e) => fail(t, e));
  try {
    await client.connect();
    const keys = Array.from({ length: 500 }, (_, i) => `${prefix}:nr${RESP}:${i}`);
    await Promise.all(keys.map((k, i) => client.set(k, String(i)).catch((e) => fail(t, e))));
    const got = await client.mGet(keys);
    got.forEach((v, i) => v !== String(i) && fail(t, `${keys[i]} read back ${v}`));
    await client.hSet(`${prefix}:nr${RESP}:h`, { a: '1', b: '2' });
    const h = await client.hGetAll(`${prefix}:nr${RESP}:h`);
    if (JSON.stringify(h) !== JSON.stringify({ a: '1', b: '2' }))
      fail(t, `HGETALL gave ${JSON.stringify(h)}`);
    const deleted = await client.del([...keys, `${prefix}:nr${RESP}:h`]);
    if (deleted !== keys.length + 1) fail(t, `DEL removed ${deleted}`);
  } catch (e) {
    fail(t, e);
  } finally {
    if (client.isOpen) await client.close();
  }
}

async function redisPy(port: number): Promise<StandaloneReport['redisPy']> {
  const script = resolve(__dirname, '../clients/redis_py_standalone.py');
  const { stdout } = await run('/usr/bin/python3', [script, LOCAL, String(port), '300'], {
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as StandaloneReport['redisPy'];
}

/** Each standalone client in turn against `port`, keys under `prefix`. */
export async function standaloneWorkload(port: number, prefix: string): Promise<StandaloneReport> {
  const report: StandaloneReport = {
    ioredis: { errors: 0 },
    nodeRedis2: { errors: 0 },
    nodeRedis3: { errors: 0 },
    redisPy: { errors: [], mismatches: 0 },
  };
  await ioredis(port, prefix, report.ioredis);
  await nodeRedis(port, prefix, 2, report.nodeRedis2);
  await nodeRedis(port, prefix, 3, report.nodeRedis3);
  report.redisPy = await redisPy(port);
  return report;
}

/**
 * redis-benchmark in standalone mode: SET, GET, INCR, LPUSH, RPOP and MSET (whose ten keys span
 * slots). The CSV lines it printed, and its whole output to look for errors in.
 */
export async function standaloneBenchmark(port: number): Promise<{ tests: string[]; output: string }> {
  const { stdout, stderr } = await run(
    'redis-benchmark',
    [
      '-p',
      String(port),
      '-n',
      '5000',
      '-c',
      '10',
      '-r',
      '100000',
      '-t',
      'set,get,incr,lpush,rpop,mset',
      '--csv',
    ],
    { timeout: 120_000 },
  );
  const tests = stdout.split('\n').filter((l) => /^"(SET|GET|INCR|LPUSH|RPOP|MSET)/.test(l));
  return { tests, output: stdout + stderr };
}
