/**
 * Real clients through the tunnel against the project's real TLS cluster (127.0.0.11-16 announcing
 * those addresses, ACL user): none of them gets a password or TLS settings.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SlotRange, attach, settle, waitFor } from '../../scripts/lib/cluster.js';
import { hashSlot, keyForSlot } from '../../src/topology/hash-slot.js';
import { migrateKeys } from './helpers/slots.js';
import { type RunningTunnel, redisCli, seedArgs, startTunnel } from './helpers/tunnel.js';

const run = promisify(execFile);
const description = inject('cluster');
const LOCAL = '127.0.0.1';
let tunnel: RunningTunnel;

/** Master slot ranges as the real cluster reports them (asked directly, not through the tunnel). */
const masterRanges = (): Promise<SlotRange[]> => attach(description).slotRanges();

beforeAll(async () => {
  tunnel = await startTunnel(seedArgs(description), { REDISCLI_AUTH: description.password });
});

afterAll(async () => {
  const code = await tunnel.stop();
  expect(code).toBe(0);
  expect(tunnel.stderr()).not.toContain(description.password);
});

describe('startup output', () => {
  it('lists all six nodes (masters with slots, replicas with their master) and the seed', () => {
    const out = tunnel.stdout();
    for (const n of description.nodes) expect(out).toContain(`${LOCAL}:${n.port}  ${n.ip}:${n.port}`);
    expect(out.match(/^127\.0\.0\.1:700\d +\S+ +master +\d+-\d+$/gm)).toHaveLength(3);
    expect(out.match(/^127\.0\.0\.1:700\d +\S+ +replica +replica of 127\.0\.0\.1\d:700\d$/gm)).toHaveLength(
      3,
    );
    expect(out).toContain('ready: 6 nodes. Point cluster clients at 127.0.0.1:7001');
  });
});

describe('redis-cli', () => {
  for (const resp of ['-2', '-3']) {
    it(`-c ${resp}: SET/GET keys at the start, middle and end of every master's slot range`, async () => {
      const ranges = await masterRanges();
      expect(ranges.length).toBe(3);
      for (const r of ranges) {
        for (const slot of [r.start, Math.floor((r.start + r.end) / 2), r.end]) {
          const key = keyForSlot(slot, `cli${resp}:`);
          expect((await redisCli(['-c', resp, '-p', '7001', 'SET', key, `v-${slot}`])).trim()).toBe('OK');
          expect((await redisCli(['-c', resp, '-p', '7003', 'GET', key])).trim()).toBe(`v-${slot}`);
        }
      }
    });
  }

  it('without -c, MOVED names the local listener of the owning node', async () => {
    const ranges = await masterRanges();
    const other = ranges.find((r) => r.port !== 7001) as { start: number; port: number };
    const out = await redisCli(['-p', '7001', 'GET', keyForSlot(other.start)]);
    expect(out.trim()).toBe(`MOVED ${other.start} ${LOCAL}:${other.port}`);
  });

  it('--cluster check: all 16384 slots covered, no errors, only tunnel addresses', async () => {
    const out = (await redisCli(['--cluster', 'check', `${LOCAL}:7001`])).replace(/\x1b\[[0-9;]*m/g, '');
    expect(out).toContain('[OK] All nodes agree about slots configuration.');
    expect(out).toContain('[OK] All 16384 slots covered.');
    expect(out).not.toContain('[ERR]');
    expect(out).not.toMatch(/127\.0\.0\.1[1-6]/);
    expect(out.match(/^[MS]: [0-9a-f]{40} 127\.0\.0\.1:700[1-6]$/gm)).toHaveLength(6);
  });

  it('redis-benchmark --cluster completes SET and GET with no errors', async () => {
    const { stdout, stderr } = await run(
      'redis-benchmark',
      ['--cluster', '-p', '7001', '-n', '3000', '-c', '10', '-t', 'set,get', '--csv'],
      {
        timeout: 60_000,
      },
    );
    const rows = stdout
      .trim()
      .split('\n')
      .filter((l) => /^"(SET|GET)"/.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(Number(row.split(',')[1].replace(/"/g, ''))).toBeGreaterThan(100);
    expect(stderr).not.toMatch(/error/i);
  });
});

describe('ioredis Cluster', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = new Cluster([{ host: LOCAL, port: 7001 }], { enableReadyCheck: true });
    await new Promise<void>((r, j) => (c.once('ready', r), c.once('error', j)));
  });
  afterAll(() => c.disconnect());

  it('mixed workload over keys spread across the slot space: zero errors', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `io:${i}`);
    expect(new Set(keys.map((k) => hashSlot(k))).size).toBeGreaterThan(2500);
    let errors = 0;
    await Promise.all(keys.map((k, i) => c.set(k, `v${i}`).catch(() => errors++)));
    await Promise.all(keys.map((k) => c.incr(`${k}:n`).catch(() => errors++)));
    const values = await Promise.all(keys.map((k) => c.get(k)));
    expect(values.every((v, i) => v === `v${i}`)).toBe(true);
    await Promise.all(keys.slice(0, 300).map((k, i) => c.hset(`${k}:h`, 'f', i).catch(() => errors++)));
    expect(await c.hget('io:7:h', 'f')).toBe('7');
    expect(errors).toBe(0);
    const nodes = c
      .nodes('master')
      .map((n) => `${n.options.host}:${n.options.port}`)
      .sort();
    expect(nodes).toEqual(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
  });

  it('pipelines and MULTI/EXEC with hash tags', async () => {
    const p = c.pipeline();
    for (let i = 0; i < 500; i++) p.set(`{pipe}:${i}`, i);
    for (let i = 0; i < 500; i++) p.get(`{pipe}:${i}`);
    const res = (await p.exec()) ?? [];
    expect(res.filter(([e]) => e)).toHaveLength(0);
    expect(res.slice(500).map(([, v]) => v)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    const tx = await c.multi().set('{tx}:a', '1').incr('{tx}:a').get('{tx}:a').exec();
    expect(tx).toEqual([
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
  });

  it('a value of 8 MB round-trips byte for byte', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await c.set('big:value', big);
    const back = await c.getBuffer('big:value');
    expect(back?.equals(big)).toBe(true);
  });

  it('pub/sub: a subscriber gets messages published from another node', async () => {
    const sub = new Cluster([{ host: LOCAL, port: 7002 }]);
    try {
      const got = new Promise<[string, string]>((r) =>
        sub.on('message', (ch: string, msg: string) => r([ch, msg])),
      );
      await sub.subscribe('news');
      await c.publish('news', '127.0.0.11:7001 is an address-looking payload');
      expect(await got).toEqual(['news', '127.0.0.11:7001 is an address-looking payload']);
    } finally {
      sub.disconnect();
    }
  });

  it('reads from replicas through their own listeners (scaleReads: slave)', async () => {
    await c.set('replica:read', 'from-replica');
    await new Promise((r) => setTimeout(r, 300)); // replication is asynchronous
    const reader = new Cluster([{ host: LOCAL, port: 7001 }], { scaleReads: 'slave' });
    try {
      await new Promise<void>((r) => reader.once('ready', r));
      expect(await reader.get('replica:read')).toBe('from-replica');
      const replicas = reader
        .nodes('slave')
        .map((n) => n.options.port)
        .sort();
      expect(replicas).toEqual([7004, 7005, 7006]);
    } finally {
      reader.disconnect();
    }
  });
});

describe('node-redis createCluster', () => {
  for (const RESP of [2, 3] as const) {
    it(`RESP${RESP}: mixed workload, MULTI, sharded pub/sub, zero errors`, async () => {
      const c = createCluster({ rootNodes: [{ url: `redis://${LOCAL}:7001` }], RESP });
      const errors: unknown[] = [];
      c.on('error', (e) => errors.push(e));
      await c.connect();
      try {
        const keys = Array.from({ length: 1500 }, (_, i) => `nr${RESP}:${i}`);
        await Promise.all(keys.map((k, i) => c.set(k, String(i))));
        const values = await Promise.all(keys.map((k) => c.get(k)));
        expect(values).toEqual(keys.map((_, i) => String(i)));
        const multi = await c.multi().set('{nr}:x', '5').incrBy('{nr}:x', 2).get('{nr}:x').exec();
        expect(multi).toEqual(['OK', 7, '7']);
        const got = new Promise<string>((r) => void c.sSubscribe('{shard}:chan', (m) => r(m)));
        await new Promise((r) => setTimeout(r, 100));
        await c.sPublish('{shard}:chan', 'sharded hello');
        expect(await got).toBe('sharded hello');
        const masters = c.masters.map((m) => `${m.host}:${m.port}`).sort();
        expect(masters).toEqual(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003']);
        expect(errors).toEqual([]);
      } finally {
        await c.close();
      }
    });
  }
});

describe('redis-py RedisCluster', () => {
  it('mixed workload with zero errors, every node seen at a tunnel address', async () => {
    const script = resolve(__dirname, 'clients/redis_py_workload.py');
    const { stdout } = await run('/usr/bin/python3', [script, LOCAL, '7001', '1000'], { timeout: 120_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop() as string) as {
      nodes: string[];
      error_count: number;
      errors: string[];
      mismatches: number;
    };
    expect(r.errors).toEqual([]);
    expect(r.error_count).toBe(0);
    expect(r.mismatches).toBe(0);
    expect(r.nodes).toEqual([
      '127.0.0.1:7001',
      '127.0.0.1:7002',
      '127.0.0.1:7003',
      '127.0.0.1:7004',
      '127.0.0.1:7005',
      '127.0.0.1:7006',
    ]);
  });
});

describe('byte-exact passthrough of user data', () => {
  it('values that look like addresses, CLUSTER NODES text or redirects come back unchanged', async () => {
    const admin = attach(description);
    const realNodes = await admin.cli(admin.nodes[0], ['CLUSTER', 'NODES']);
    const c = new Cluster([{ host: LOCAL, port: 7001 }]);
    try {
      const values = [
        '127.0.0.11:7001',
        'MOVED 3999 127.0.0.12:7002',
        '-ASK 1 127.0.0.13:7003\r\n',
        realNodes,
        '*1\r\n$10\r\n127.0.0.11\r\n',
      ];
      for (const [i, v] of values.entries()) await c.set(`look:${i}`, v);
      for (const [i, v] of values.entries()) expect(await c.get(`look:${i}`)).toBe(v);
      // An EVAL reply shaped exactly like CLUSTER SLOTS is data, not topology.
      const lua = "return {{0,5460,{'127.0.0.11',7001,'0123456789012345678901234567890123456789'}}}";
      expect(await c.eval(lua, 1, 'look:0')).toEqual([
        [0, 5460, ['127.0.0.11', 7001, '0123456789012345678901234567890123456789']],
      ]);
    } finally {
      c.disconnect();
    }
  });

  it('a raw pipeline of 3,000 commands with CLUSTER SLOTS interleaved pairs every reply', async () => {
    const sock = net.connect(7001, LOCAL);
    await new Promise<void>((r) => sock.once('connect', r));
    const key = keyForSlot(100, 'raw:');
    let req = '';
    for (let i = 0; i < 3000; i++) {
      if (i % 500 === 0) req += '*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n';
      else req += `*2\r\n$4\r\nECHO\r\n$15\r\n127.0.0.11:7001\r\n`;
    }
    req += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$2\r\nok\r\n`;
    let got = '';
    const done = new Promise<void>((r) =>
      sock.on('data', (d) => ((got += d.toString('latin1')), got.endsWith('+OK\r\n') && r())),
    );
    sock.write(req);
    await done;
    sock.destroy();
    expect(got.split('$15\r\n127.0.0.11:7001\r\n').length - 1).toBe(2994);
    expect(got).not.toMatch(/\$10\r\n127\.0\.0\.1[1-6]\r\n:700/); // no slots reply left unrewritten
    expect(got.split('$9\r\n127.0.0.1\r\n:7001\r\n').length - 1).toBe(6); // master of 0-5460 in each of the 6
  });
});

/** Resident memory of a process in MiB, from /proc. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:')) as string;
  return Number(line.split(/\s+/)[1]) / 1024;
}

describe('backpressure', () => {
  it('a client that does not read: the tunnel stops reading from the node instead of buffering 300 MB', async () => {
    const value = 'x'.repeat(1024 * 1024);
    const key = keyForSlot(200, 'bp:');
    const writer = new Cluster([{ host: LOCAL, port: 7001 }]);
    await writer.set(key, value);
    writer.disconnect();
    const pid = tunnel.proc.pid as number;
    const before = rssMiB(pid);
    const sock = net.connect(7001, LOCAL);
    await new Promise<void>((r) => sock.once('connect', r));
    sock.pause(); // never read until told
    const get = `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`;
    sock.write(get.repeat(300));
    await new Promise((r) => setTimeout(r, 2000));
    const during = rssMiB(pid);
    // 300 replies of 1 MiB are waiting on the node; only socket buffers' worth may sit in the tunnel,
    // and the replies to the requests that went on the shared connection (SHARED_WINDOW, 16).
    expect(during - before).toBeLessThan(64);
    console.log(
      `tunnel RSS before ${before.toFixed(1)} MiB, with 300 MiB of replies unread ${during.toFixed(1)} MiB`,
    );
    const total = 300 * (`$${value.length}\r\n`.length + value.length + 2);
    let received = 0;
    const done = new Promise<void>((r) =>
      sock.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= total) r();
      }),
    );
    sock.resume();
    await done;
    sock.destroy();
    expect(received).toBe(total);
  });
});

describe('malformed input', () => {
  it('a malformed request: the client gets what the node itself answers, then only that connection closes', async () => {
    const bytes = 'PING\r\n*1\r\n+PING\r\n';
    /** Sends bytes on a fresh connection and collects everything until the peer closes. */
    const exchange = (sock: net.Socket, pre = ''): Promise<string> =>
      new Promise((resolve) => {
        let got = '';
        sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
        sock.once('close', () => resolve(got));
        sock.write(pre + bytes);
      });
    // Directly over TLS (after AUTH, whose +OK is dropped), and through the tunnel.
    const direct = tls.connect({
      host: '127.0.0.11',
      port: 7001,
      ca: readFileSync(description.caCert),
      checkServerIdentity: () => undefined,
    });
    await new Promise<void>((r) => direct.once('secureConnect', r));
    const auth = `*3\r\n$4\r\nAUTH\r\n$${description.user.length}\r\n${description.user}\r\n$${description.password.length}\r\n${description.password}\r\n`;
    const fromNode = await exchange(direct, auth).then((g) => g.replace(/^\+OK\r\n/, ''));
    const viaTunnel = net.connect(7001, LOCAL);
    await new Promise<void>((r) => viaTunnel.once('connect', r));
    const fromTunnel = await exchange(viaTunnel);
    expect(fromNode).toMatch(/^\+PONG\r\n-ERR Protocol error: /);
    expect(fromTunnel).toBe(fromNode);
    expect((await redisCli(['-p', '7001', 'PING'])).trim()).toBe('PONG');
    expect(tunnel.proc.exitCode).toBeNull();
  });
});

describe('connection churn', () => {
  it('1,000 short-lived connections: every pair closes, no file descriptor is left behind', async () => {
    const pid = tunnel.proc.pid as number;
    const fds = (): number => readdirSync(`/proc/${pid}/fd`).length;
    const before = fds();
    let ok = 0;
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from(
          { length: 50 },
          (_, i) =>
            new Promise<void>((resolve, reject) => {
              const sock = net.connect(7001 + ((batch * 50 + i) % 6), LOCAL);
              sock.setTimeout(10_000, () => reject(new Error('timed out')));
              sock.once('data', (d: Buffer) => {
                if (d.toString() === '+PONG\r\n') ok++;
                sock.end();
              });
              sock.once('close', () => resolve());
              sock.once('error', reject);
              sock.write('PING\r\n');
            }),
        ),
      );
    }
    expect(ok).toBe(1000);
    await waitFor('the tunnel to close every pair', 10_000, async () => fds() <= before + 2);
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });
});

describe('failures while running', () => {
  it('a node that is down: its listener answers a RESP error naming it, the cluster keeps working', async () => {
    const admin = attach(description);
    const replica = admin.nodes[5];
    await admin.stopNode(5);
    try {
      const out = await redisCli(['-p', String(replica.port), 'PING']);
      expect(out.trim()).toBe(
        `CLUSTERDOWN redis-cluster-tunnel: cannot reach node ${replica.ip}:${replica.port}: connection refused`,
      );
      const c = new Cluster([{ host: LOCAL, port: 7001 }]);
      try {
        await c.set('still:up', 'yes');
        expect(await c.get('still:up')).toBe('yes');
      } finally {
        c.disconnect();
      }
    } finally {
      await admin.restartNode(5);
      await settle(admin);
    }
  });
});

describe('slot migration', () => {
  it('-ASK is followed through the tunnel while a slot moves, then -MOVED points at the new owner', async () => {
    const admin = attach(description);
    const ranges = await masterRanges();
    const from = ranges.find((r) => r.port === 7001) as { start: number; end: number };
    const slot = from.start + 77;
    const source = admin.nodes.find((n) => n.port === 7001) as (typeof admin.nodes)[number];
    const target = admin.nodes.find((n) => n.port === 7002) as (typeof admin.nodes)[number];
    const id = async (n: typeof source): Promise<string> => (await admin.cli(n, ['CLUSTER', 'MYID'])).trim();
    const [sourceId, targetId] = [await id(source), await id(target)];
    const tag = keyForSlot(slot, 'tag');
    const slotKeys = Array.from({ length: 20 }, (_, i) => `{${tag}}:${i}`);
    expect(slotKeys.every((k) => hashSlot(k) === slot)).toBe(true);
    const c = new Cluster([{ host: LOCAL, port: 7001 }]);
    try {
      for (const [i, k] of slotKeys.entries()) await c.set(k, `m${i}`);
      await admin.cli(target, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId]);
      await admin.cli(source, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId]);
      const migrate = (ks: string[]): Promise<string> => migrateKeys(admin, source, target, ks);
      expect((await migrate(slotKeys.slice(0, 10))).trim()).toBe('OK');

      // A migrated key: the source answers ASK, rewritten to the target's local listener.
      expect((await redisCli(['-p', '7001', 'GET', slotKeys[0]])).trim()).toBe(`ASK ${slot} ${LOCAL}:7002`);
      expect((await redisCli(['-c', '-p', '7001', 'GET', slotKeys[0]])).trim()).toBe('m0');
      for (const [i, k] of slotKeys.entries()) expect(await c.get(k)).toBe(`m${i}`);

      expect((await migrate(slotKeys.slice(10))).trim()).toBe('OK');
      // Earlier tests may have put other keys in this slot: move them all, as redis-cli does.
      for (let round = 0; round < 100; round++) {
        const rest = (await admin.cli(source, ['CLUSTER', 'GETKEYSINSLOT', String(slot), '100']))
          .split('\n')
          .filter(Boolean);
        if (rest.length === 0) break;
        expect((await migrate(rest)).trim()).toBe('OK');
      }
      // Like redis-cli --cluster reshard: every master learns the new owner, then all agree.
      const masters = admin.nodes.filter((n) => ranges.some((r) => r.port === n.port));
      for (const n of masters) await admin.cli(n, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId]);
      await waitFor('every node to agree on the moved slot', 20_000, async () => {
        const { stdout } = await run(
          'redis-cli',
          [...admin.tlsArgs(), '--cluster', 'check', `${source.ip}:${source.port}`],
          {
            env: { ...process.env, REDISCLI_AUTH: description.password },
          },
        ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
        return (
          stdout.includes('[OK] All nodes agree about slots configuration.') &&
          !/\[(ERR|WARNING)\]/.test(stdout)
        );
      });
      expect((await redisCli(['-p', '7001', 'GET', slotKeys[5]])).trim()).toBe(`MOVED ${slot} ${LOCAL}:7002`);
      for (const [i, k] of slotKeys.entries()) expect(await c.get(k)).toBe(`m${i}`);
    } finally {
      c.disconnect();
    }
  });
});
