/**
 * A standalone TLS primary with two replicas (cluster mode disabled, 127.0.0.91-93), started by
 * the project's scripts: the tunnel finds out what it is, serves the primary and each replica on
 * ports of their own, keeps a client's SELECT on the smart port, and follows a coordinated
 * FAILOVER. Each sequence runs against the nodes first, to prove what a node answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS, type RunningCluster, sleep, startCluster, waitFor } from '../../scripts/lib/cluster.js';
import type { ReadyState } from '../../src/cli/ready.js';
import { RawClient, type Reply, nodeTarget, tunnelTarget } from './helpers/raw-client.js';
import { standaloneWorkload } from './helpers/standalone.js';
import {
  CLI,
  type RunningTunnel,
  redisCli,
  runTunnelToExit,
  seedArgs,
  startTunnel,
} from './helpers/tunnel.js';

const SMART_PORT = 6404;
let set: RunningCluster;
let tunnel: RunningTunnel;
let ready: ReadyState;

/** The local port of the node at `ip:port` in the startup table, and the role it is listed with. */
function row(ip: string, port: number): { port: number; role: string } {
  const m = new RegExp(`127\\.0\\.0\\.1:(\\d+)\\s+${ip.replace(/\./g, '\\.')}:${port}\\s+(\\w+)`).exec(
    tunnel.stdout(),
  );
  if (!m) throw new Error(`no row for ${ip}:${port} in:\n${tunnel.stdout()}`);
  return { port: Number(m[1]), role: m[2] };
}

beforeAll(async () => {
  set = await startCluster(LAYOUTS.standalone);
  const file = join(mkdtempSync(join(tmpdir(), 'rct-standalone-')), 'ready.json');
  const args = ['--mode', 'both', '--smart-port', String(SMART_PORT), '--ready-file', file];
  tunnel = await startTunnel([...seedArgs(set.describe()), ...args], { REDISCLI_AUTH: set.spec.password });
  ready = JSON.parse(readFileSync(file, 'utf8')) as ReadyState;
}, 90_000);

afterAll(async () => {
  const code = await tunnel?.stop();
  await set?.stop();
  expect(code).toBe(0);
});

describe('standalone primary and replicas', () => {
  it('is detected: the nodes refuse CLUSTER and list their roles; the tunnel lists the same', async () => {
    const [primary, r1, r2] = set.nodes;
    expect(await set.cli(primary, ['CLUSTER', 'SHARDS'])).toMatch(/cluster support disabled/);
    // ROLE: master, its offset, then [ip, port, offset] per replica, in the order they connected.
    const role = (await set.cli(primary, ['ROLE'])).trim().split('\n');
    expect(role[0]).toBe('master');
    const replicas = [role.slice(2, 4), role.slice(5, 7)].map((r) => r.join(':')).sort();
    expect(replicas).toEqual([`${r1.ip}:${r1.port}`, `${r2.ip}:${r2.port}`]);
    expect(row(primary.ip, primary.port).role).toBe('primary');
    expect(row(r1.ip, r1.port).role).toBe('replica');
    expect(row(r2.ip, r2.port).role).toBe('replica');
    expect(tunnel.stdout()).toContain('ready: a standalone primary and 2 replicas.');
    expect(ready.topology).toBe('standalone');
    expect(ready.seed).toEqual({ host: '127.0.0.1', port: row(primary.ip, primary.port).port });
    expect(ready.url).toBe(`redis://127.0.0.1:${SMART_PORT}`);
    expect(ready.nodes.map((n) => [n.node, n.role]).sort()).toEqual([
      [`${primary.ip}:${primary.port}`, 'master'],
      [`${r1.ip}:${r1.port}`, 'replica'],
      [`${r2.ip}:${r2.port}`, 'replica'],
    ]);
  });

  it('serves each node on its own port: writes on the primary, reads and READONLY on replicas', async () => {
    const [primary, r1] = set.nodes;
    // Directly: a replica serves the primary's write and refuses one of its own.
    await set.cli(primary, ['SET', 'sa:direct', 'v1']);
    await set.cli(primary, ['WAIT', '2', '2000']);
    expect((await set.cli(r1, ['GET', 'sa:direct'])).trim()).toBe('v1');
    expect(await set.cli(r1, ['SET', 'sa:direct', 'no'])).toMatch(/^READONLY /);
    // Through the tunnel, the same.
    const p = String(row(primary.ip, primary.port).port);
    expect((await redisCli(['-p', p, 'SET', 'sa:k', 'v2'])).trim()).toBe('OK');
    expect((await redisCli(['-p', p, 'WAIT', '2', '2000'])).trim()).toBe('2');
    for (const r of set.nodes.slice(1)) {
      const port = String(row(r.ip, r.port).port);
      expect((await redisCli(['-p', port, 'GET', 'sa:k'])).trim()).toBe('v2');
      expect((await redisCli(['-p', port, 'ROLE'])).split('\n')[0]).toBe('slave');
      expect(await redisCli(['-p', port, 'SET', 'sa:k', 'no'])).toMatch(/^READONLY /);
    }
    expect((await redisCli(['-p', String(SMART_PORT), 'GET', 'sa:k'])).trim()).toBe('v2');
  });

  it("smart port: a client's SELECT keeps its database, and only its own", async () => {
    const node = await RawClient.connect(nodeTarget(set.describe()));
    await node.call('AUTH', set.spec.user, set.spec.password);
    expect(await node.call('SELECT', '1')).toBe('OK');
    expect(await node.call('SET', 'sa:db', 'one')).toBe('OK');
    expect(await node.call('SELECT', '0')).toBe('OK');
    expect(await node.call('GET', 'sa:db')).toBe(null);
    expect(await node.call('DEL', 'sa:db')).toBe(0);
    node.close();

    const a = await RawClient.connect(tunnelTarget(SMART_PORT));
    const b = await RawClient.connect(tunnelTarget(SMART_PORT));
    const [selected, written] = a.pipeline([
      ['SELECT', '2'],
      ['SET', 'sa:db2', 'two'],
    ]);
    expect([await selected, await written]).toEqual(['OK', 'OK']);
    expect(await b.call('GET', 'sa:db2')).toBe(null);
    expect(await a.call('GET', 'sa:db2')).toBe('two');
    expect(await a.call('RESET')).toBe('RESET');
    expect(await a.call('GET', 'sa:db2')).toBe(null);
    a.close();
    b.close();
    expect((await set.cli(set.nodes[0], ['-n', '2', 'GET', 'sa:db2'])).trim()).toBe('two');
  });

  it("smart port: a client's READONLY sends its reads to the replicas, in turn; READWRITE to the primary", async () => {
    // Directly: a standalone replica serves reads with no READONLY (it refuses the command).
    const [primary, r1] = set.nodes;
    await set.cli(primary, ['SET', 'sa:read', 'r']);
    await set.cli(primary, ['WAIT', '2', '2000']);
    expect((await set.cli(r1, ['GET', 'sa:read'])).trim()).toBe('r');
    expect(await set.cli(r1, ['READONLY'])).toMatch(/cluster support disabled/);

    await Promise.all(set.nodes.map((n) => set.cli(n, ['CONFIG', 'RESETSTAT'])));
    const client = await RawClient.connect(tunnelTarget(SMART_PORT));
    expect(await client.call('READONLY')).toBe('OK');
    for (let i = 0; i < 10; i++) expect(await client.call('GET', 'sa:read')).toBe('r');
    expect(await client.call('READWRITE')).toBe('OK');
    for (let i = 0; i < 4; i++) expect(await client.call('GET', 'sa:read')).toBe('r');
    client.close();
    const calls = await Promise.all(
      set.nodes.map(async (n) =>
        Number(/cmdstat_get:calls=(\d+)/.exec(await set.cli(n, ['INFO', 'commandstats']))?.[1] ?? 0),
      ),
    );
    expect(calls).toEqual([4, 5, 5]);
  });

  it('ioredis, node-redis RESP2/RESP3 and redis-py on the primary port and the smart port: zero errors', async () => {
    const primaryPort = row(set.nodes[0].ip, set.nodes[0].port).port;
    for (const [port, prefix] of [
      [primaryPort, 'sa:pinned'],
      [SMART_PORT, 'sa:smart'],
    ] as const) {
      const r = await standaloneWorkload(port, prefix);
      expect([r.ioredis, r.nodeRedis2, r.nodeRedis3]).toEqual([{ errors: 0 }, { errors: 0 }, { errors: 0 }]);
      expect(r.redisPy).toMatchObject({ errors: [], mismatches: 0 });
    }
  }, 120_000);

  it('fill writes to the primary', async () => {
    const before = Number(await set.cli(set.nodes[0], ['DBSIZE']));
    const r = await runTunnelToExit(
      ['fill', ...seedArgs(set.describe()), '--gb', '0.001', '--key-prefix', 'safill:'],
      {
        REDISCLI_AUTH: set.spec.password,
      },
    );
    expect(r.code).toBe(0);
    const keys = Number(/total: ([\d,]+) keys/.exec(r.stdout)?.[1].replace(/,/g, ''));
    expect(keys).toBe(Math.ceil((2 ** 30 * 0.001) / 512));
    expect(Number(await set.cli(set.nodes[0], ['DBSIZE']))).toBe(before + keys);
  });

  it('exec mode: REDIS_URL is the primary', async () => {
    await set.cli(set.nodes[0], ['SET', 'sa:exec', '41']);
    const script = 'redis-cli -u "$REDIS_URL" INCR sa:exec && redis-cli -u "$REDIS_URL" ROLE | head -1';
    const r = await runTunnelToExit([...seedArgs(set.describe()), '--', 'sh', '-c', script], {
      REDISCLI_AUTH: set.spec.password,
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual(['42', 'master']);
  });

  it('cli: commands run on the primary; @all ROLE names the primary and each replica', () => {
    const cli = (...args: string[]): string =>
      spawnSync(process.execPath, [CLI, 'cli', ...seedArgs(set.describe()), ...args], {
        env: { ...process.env, REDISCLI_AUTH: set.spec.password },
        timeout: 30_000,
      }).stdout.toString();
    expect(cli('SET', 'sa:cli', 'v').trim()).toBe('OK');
    expect(cli('GET', 'sa:cli').trim()).toBe('v');
    const roles = cli('@all', 'ROLE');
    const [primary, r1, r2] = set.nodes;
    expect(roles).toContain(`${primary.ip}:${primary.port} (primary):\nmaster\n`);
    for (const r of [r1, r2])
      expect(roles).toContain(`${r.ip}:${r.port} (replica of ${primary.ip}:${primary.port}):\nslave\n`);
  });

  it('--topology cluster refuses a standalone seed, saying why', async () => {
    const r = await runTunnelToExit(
      [...seedArgs(set.describe()), '--topology', 'cluster', '--smart-port', '6405'],
      {
        REDISCLI_AUTH: set.spec.password,
      },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      '127.0.0.91:7901 is not a cluster node: ERR This instance has cluster support disabled',
    );
  });
});

/** Resolves once the client's connection is closed (checked every 20 ms, for at most 10 s). */
async function whenClosed(c: RawClient): Promise<'closed'> {
  for (let i = 0; i < 500 && !c.closed; i++) await sleep(20);
  return 'closed';
}

/**
 * Writes `prefix:i` one at a time until `until`, reconnecting when the tunnel closes the client:
 * which were acknowledged, every error reply, the slowest write and when writes worked again after
 * `since()` (0 until then).
 */
async function writeLoop(
  port: number,
  prefix: string,
  until: number,
  since: () => number = () => Infinity,
): Promise<{
  acked: string[];
  ackedAt: number[];
  errors: string[];
  slowestMs: number;
  backAt: number;
  reconnects: number;
}> {
  let c = await RawClient.connect(tunnelTarget(port));
  const out = {
    acked: [] as string[],
    ackedAt: [] as number[],
    errors: [] as string[],
    slowestMs: 0,
    backAt: 0,
    reconnects: 0,
  };
  for (let i = 0; i < 5000 && Date.now() < until; i++) {
    if (c.closed) {
      out.reconnects++;
      c = await RawClient.connect(tunnelTarget(port));
    }
    const sent = Date.now();
    const reply: Reply | 'timeout' | 'closed' = await Promise.race([
      c.callWithin(8000, 'SET', `${prefix}:${i}`, String(i)),
      whenClosed(c),
    ]);
    out.slowestMs = Math.max(out.slowestMs, Date.now() - sent);
    if (reply === 'OK') {
      out.acked.push(`${prefix}:${i}`);
      out.ackedAt.push(Date.now());
      if (out.backAt === 0 && sent > since()) out.backAt = Date.now();
    } else if (reply !== 'closed') out.errors.push(JSON.stringify(reply));
    await sleep(5);
  }
  c.close();
  return out;
}

describe('following the primary', () => {
  it('a coordinated FAILOVER: the primary port serves the new primary; smart writes see no error', async () => {
    const [old, promoted] = set.nodes;
    const primaryPort = row(old.ip, old.port).port;
    const until = Date.now() + 8000;
    const loads = Promise.all([
      writeLoop(primaryPort, 'fo:pinned', until),
      writeLoop(SMART_PORT, 'fo:smart', until),
    ]);
    await sleep(1500);
    const started = Date.now();
    expect((await set.cli(old, ['FAILOVER', 'TO', promoted.ip, String(promoted.port)])).trim()).toBe('OK');
    await waitFor('the promoted replica to say master', 10_000, async () =>
      (await set.cli(promoted, ['ROLE'])).startsWith('master'),
    );
    // Directly: the old primary now refuses writes.
    expect(await set.cli(old, ['SET', 'fo:direct', '1'])).toMatch(/^READONLY /);
    const [pinned, smart] = await loads;
    const switchedMs = Date.now() - started;

    // Writes the demoted primary refused did not run: both ports sent them again to the new one.
    expect(smart.errors).toEqual([]);
    expect(pinned.errors).toEqual([]);
    expect(smart.acked.length).toBeGreaterThan(100);
    expect(pinned.acked.length).toBeGreaterThan(100);
    expect((await redisCli(['-p', String(primaryPort), 'ROLE'])).split('\n')[0]).toBe('master');
    // No acknowledged write is lost: each is on the new primary.
    const missing: number[] = [];
    for (const load of [pinned, smart]) {
      const values = (await set.cli(promoted, ['MGET', ...load.acked]))
        .split('\n')
        .slice(0, load.acked.length);
      missing.push(values.filter((v) => v === '').length);
    }
    expect(missing).toEqual([0, 0]);
    console.log(
      `failover: acknowledged pinned ${pinned.acked.length}, smart ${smart.acked.length}; missing 0; ` +
        `client-visible errors 0; longest stall pinned ${pinned.slowestMs} ms, smart ${smart.slowestMs} ms; ${switchedMs} ms in all`,
    );
    // The old primary is served as a replica now, on a port of its own.
    await waitFor('the old primary to be served as a replica', 5000, async () =>
      tunnel.stderr().includes(`new node ${old.ip}:${old.port} (replica) served at`),
    );
  }, 60_000);
});

describe('following the primary when it dies', () => {
  it('the primary stops and a replica is promoted, as Sentinel does: both ports serve the new one', async () => {
    const roles = await Promise.all(set.nodes.map(async (n) => (await set.cli(n, ['ROLE'])).split('\n')[0]));
    const dead = roles.indexOf('master');
    const [next, other] = [0, 1, 2].filter((i) => i !== dead);
    const primaryPort = ready.seed?.port as number;
    let promotedAt = Infinity;
    const until = Date.now() + 9000;
    const loads = Promise.all([
      writeLoop(primaryPort, 'kill:pinned', until, () => promotedAt),
      writeLoop(SMART_PORT, 'kill:smart', until, () => promotedAt),
    ]);
    await sleep(1000);
    await set.stopNode(dead);
    // Directly: the promoted replica takes writes, the other follows it.
    await set.cli(set.nodes[next], ['REPLICAOF', 'NO', 'ONE']);
    promotedAt = Date.now();
    await set.cli(set.nodes[other], ['REPLICAOF', set.nodes[next].ip, String(set.nodes[next].port)]);
    expect((await set.cli(set.nodes[next], ['SET', 'kill:direct', '1'])).trim()).toBe('OK');
    const [pinned, smart] = await loads;
    console.log(
      `primary stopped: pinned back ${pinned.backAt - promotedAt} ms after the promotion ` +
        `(${pinned.reconnects} reconnects, ${pinned.errors.length} errors: ${pinned.errors[0] ?? 'none'}), smart back ${smart.backAt - promotedAt} ms ` +
        `(${smart.reconnects} reconnects, ${smart.errors.length} errors)`,
    );
    for (const load of [pinned, smart]) {
      expect(load.backAt - promotedAt).toBeLessThan(5000);
      // Every write acknowledged after the promotion is on the new primary.
      const after = load.acked.filter((_, i) => load.ackedAt[i] > promotedAt);
      expect(after.length).toBeGreaterThan(50);
      const values = (await set.cli(set.nodes[next], ['MGET', ...after])).trim().split('\n');
      expect(values.every((v) => v !== '')).toBe(true);
    }
    expect((await redisCli(['-p', String(primaryPort), 'ROLE'])).split('\n')[0]).toBe('master');
    await set.restartNode(dead);
  }, 60_000);
});
