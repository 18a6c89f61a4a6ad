/**
 * Smart mode on the project's real TLS cluster: one local port, and programs that do not speak
 * Cluster (redis-cli without -c, redis-benchmark standalone, ioredis `new Redis()`, node-redis
 * `createClient` RESP2 and RESP3, redis-py `Redis()`) use the whole cluster through it.
 */
import * as net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SlotRange, attach, waitFor } from '../../scripts/lib/cluster.js';
import { hashSlot, keyForSlot } from '../../src/topology/hash-slot.js';
import { standaloneBenchmark, standaloneWorkload } from './helpers/standalone.js';
import { type RunningTunnel, redisCli, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const cluster = attach(description);
const LOCAL = '127.0.0.1';
const PORT = 6390;
let tunnel: RunningTunnel;
let ranges: SlotRange[];

/** redis-cli against the smart port, no -c. */
const cli = (...args: string[]): Promise<string> => redisCli(['-p', String(PORT), ...args]);

/** Keys at the start, middle and end of every slot range (each once; a range may be one slot). */
function keysOnEveryMaster(prefix: string): string[] {
  const slots = new Set(ranges.flatMap((r) => [r.start, Math.floor((r.start + r.end) / 2), r.end]));
  return [...slots].map((s) => keyForSlot(s, `${prefix}:`));
}

/** Every master once (a master may serve several ranges after a slot moved). */
function masters(): Array<{ ip: string; port: number }> {
  const seen = new Map(ranges.map((r) => [`${r.ip}:${r.port}`, { ip: r.ip, port: r.port }]));
  return [...seen.values()];
}

/** One raw conversation with the smart port: what it answers to `bytes`, and whether it closed. */
function raw(bytes: string, waitMs = 500): Promise<{ reply: string; closed: boolean }> {
  return new Promise((done) => {
    const s = net.connect({ host: LOCAL, port: PORT });
    let reply = '';
    let closed = false;
    s.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    s.on('close', () => (closed = true));
    s.on('error', () => (closed = true));
    s.on('connect', () => s.write(bytes));
    setTimeout(() => {
      s.destroy();
      done({ reply, closed });
    }, waitMs);
  });
}

beforeAll(async () => {
  ranges = await cluster.slotRanges();
  tunnel = await startTunnel([...seedArgs(description), '--mode', 'smart', '--smart-port', String(PORT)], {
    REDISCLI_AUTH: description.password,
  });
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
  expect(tunnel.stderr()).not.toContain(description.password);
});

describe('smart mode', () => {
  it('the ready line names the one port', () => {
    expect(tunnel.stdout()).toContain(`ready: 6 nodes. Smart mode: point any client at ${LOCAL}:${PORT}`);
  });

  it('redis-cli without -c: SET/GET on every master, never a MOVED', async () => {
    for (const key of keysOnEveryMaster('smart:cli')) {
      expect((await cli('SET', key, `v:${key}`)).trim()).toBe('OK');
      expect((await cli('GET', key)).trim()).toBe(`v:${key}`);
    }
  });

  it('MGET/MSET/DEL/EXISTS/UNLINK/TOUCH across slots, merged in the client key order', async () => {
    const keys = keysOnEveryMaster('smart:multi');
    expect((await cli('MSET', ...keys.flatMap((k, i) => [k, `m${i}`]))).trim()).toBe('OK');
    expect((await cli('MGET', ...keys, 'smart:multi:absent')).replace(/\n$/, '').split('\n')).toEqual([
      ...keys.map((_, i) => `m${i}`),
      '',
    ]);
    expect((await cli('EXISTS', ...keys, 'smart:multi:absent')).trim()).toBe(String(keys.length));
    expect((await cli('TOUCH', ...keys)).trim()).toBe(String(keys.length));
    expect((await cli('DEL', ...keys.slice(0, 3))).trim()).toBe('3');
    expect((await cli('UNLINK', ...keys)).trim()).toBe(String(keys.length - 3));
    expect((await cli('EXISTS', ...keys)).trim()).toBe('0');
  });

  it('commands a split would break answer CROSSSLOT, as the cluster does, and apply nothing', async () => {
    const [a, , , b] = keysOnEveryMaster('smart:cross');
    expect(hashSlot(a)).not.toBe(hashSlot(b));
    expect((await cli('MSETNX', a, '1', b, '2')).trim()).toMatch(/^CROSSSLOT/);
    expect((await cli('SET', a, 'x')).trim()).toBe('OK');
    expect((await cli('RENAME', a, b)).trim()).toMatch(/^CROSSSLOT/);
    expect((await cli('EXISTS', b)).trim()).toBe('0');
    expect((await cli('GET', a)).trim()).toBe('x');
  });

  it('DBSIZE, KEYS and a full SCAN agree with the keys written', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `smart:scan:${i}`);
    for (let i = 0; i < keys.length; i += 100)
      await cli('MSET', ...keys.slice(i, i + 100).flatMap((k) => [k, 'v']));
    const direct = await Promise.all(masters().map((m) => cluster.cli(m, ['DBSIZE']).then(Number)));
    expect(Number((await cli('DBSIZE')).trim())).toBe(direct.reduce((x, y) => x + y, 0));
    const listed = (await cli('KEYS', 'smart:scan:*')).trim().split('\n');
    expect(new Set(listed)).toEqual(new Set(keys));
    const scanned = (await redisCli(['-p', String(PORT), '--scan', '--pattern', 'smart:scan:*']))
      .trim()
      .split('\n');
    expect(new Set(scanned)).toEqual(new Set(keys));
  });

  it('EVAL and EVALSHA on keys of every master; SCRIPT LOAD reaches every master', async () => {
    const sha = (await cli('SCRIPT', 'LOAD', "return redis.call('INCR', KEYS[1])")).trim();
    for (const m of masters()) expect((await cluster.cli(m, ['SCRIPT', 'EXISTS', sha])).trim()).toBe('1');
    for (const key of keysOnEveryMaster('smart:eval')) {
      expect((await cli('EVAL', "return redis.call('SET', KEYS[1], ARGV[1])", '1', key, 'e')).trim()).toBe(
        'OK',
      );
      expect((await cli('EVALSHA', sha, '1', `${key}:n`)).trim()).toBe('1');
    }
  });

  it('EVALSHA on a node that lost its script cache (as a promoted replica has): loaded there again', async () => {
    const sha = (await cli('SCRIPT', 'LOAD', "return 'reloaded:' .. KEYS[1]")).trim();
    for (const m of masters()) await cluster.cli(m, ['SCRIPT', 'FLUSH']);
    for (const key of keysOnEveryMaster('smart:noscript'))
      expect((await cli('EVALSHA', sha, '1', key)).trim()).toBe(`reloaded:${key}`);
    // A script the tunnel never saw still gets the node's own answer.
    expect((await cli('EVALSHA', 'f'.repeat(40), '0')).trim()).toMatch(/^NOSCRIPT/);
  });

  it('values that look like addresses, redirects or topology pass unchanged', async () => {
    const values = ['MOVED 3999 10.0.0.1:6379', '-ASK 1 127.0.0.11:7001', '127.0.0.12:7002@17002 master'];
    for (const [i, v] of values.entries()) {
      expect((await cli('SET', `smart:look:${i}`, v)).trim()).toBe('OK');
      expect((await cli('GET', `smart:look:${i}`)).trim()).toBe(v);
    }
  });

  it('RESP3 after HELLO 3 (redis-cli -3): the same answers as the node gives directly', async () => {
    for (const key of keysOnEveryMaster('smart:r3')) {
      expect((await redisCli(['-3', '-p', String(PORT), 'HSET', key, 'f', 'v', 'g', 'w'])).trim()).toBe('2');
      const owner = ranges.find((r) => hashSlot(key) >= r.start && hashSlot(key) <= r.end) as SlotRange;
      const direct = await cluster.cli({ ip: owner.ip, port: owner.port }, ['-3', 'HGETALL', key]);
      expect(await redisCli(['-3', '-p', String(PORT), 'HGETALL', key])).toBe(direct);
    }
  });

  it('ioredis new Redis(), node-redis createClient RESP2 and RESP3, redis-py Redis(): mixed workloads, zero errors', async () => {
    const r = await standaloneWorkload(PORT, 'smart:std');
    expect(r.ioredis).toEqual({ errors: 0 });
    expect(r.nodeRedis2).toEqual({ errors: 0 });
    expect(r.nodeRedis3).toEqual({ errors: 0 });
    expect(r.redisPy).toMatchObject({ errors: [], mismatches: 0 });
  });

  it('redis-benchmark in standalone mode: set, get, incr, lpush, rpop and a cross-slot mset', async () => {
    const { tests, output } = await standaloneBenchmark(PORT);
    expect(tests).toHaveLength(6);
    expect(output).not.toMatch(/MOVED|ASK|ERR|CROSSSLOT/);
  });

  it('BLPOP is woken by another client, and never stalls other clients meanwhile', async () => {
    const waiter = new Redis({ host: LOCAL, port: PORT });
    const other = new Redis({ host: LOCAL, port: PORT });
    try {
      const popped = waiter.blpop('smart:queue', 10);
      await new Promise((r) => setTimeout(r, 200));
      // While the BLPOP waits, the other client works, on the same node as the queue.
      const t0 = Date.now();
      for (let i = 0; i < 50; i++) expect(await other.set(`{smart:queue}:${i}`, 'x')).toBe('OK');
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(await other.rpush('smart:queue', 'job')).toBe(1);
      expect(await popped).toEqual(['smart:queue', 'job']);
    } finally {
      waiter.disconnect();
      other.disconnect();
    }
  });

  it("one client's requests keep their order across connections: RPUSH then BLPOP, pipelined", async () => {
    const r = await raw(
      `*3\r\n$5\r\nRPUSH\r\n$9\r\nsmart:ord\r\n$1\r\na\r\n*3\r\n$5\r\nBLPOP\r\n$9\r\nsmart:ord\r\n$1\r\n1\r\n`,
    );
    expect(r.reply).toBe(':1\r\n*2\r\n$9\r\nsmart:ord\r\n$1\r\na\r\n');
  });

  it('CLIENT SETNAME/GETNAME stay with the connection; QUIT answers +OK and closes it', async () => {
    const r = await raw('CLIENT SETNAME smart-test\r\nCLIENT GETNAME\r\nQUIT\r\nPING\r\n');
    expect(r.reply).toBe('+OK\r\n$10\r\nsmart-test\r\n+OK\r\n');
    expect(r.closed).toBe(true);
    expect((await cli('PING')).trim()).toBe('PONG');
  });

  it('a client that sends FIN gets every reply it asked for, then the tunnel ends its side too', async () => {
    // Listeners allow half-open sockets: before the tunnel ended its side, 20 such clients left 20
    // sockets in CLOSE_WAIT for good. Each one here must see the tunnel's FIN.
    const key = 'smart:fin';
    const ended = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<string>((resolve, reject) => {
            const s = net.connect({ host: LOCAL, port: PORT, allowHalfOpen: true }, () => {
              s.write(`SET ${key} v\r\nBLPOP smart:fin:empty 0.2\r\nGET ${key}\r\n`);
              s.end();
            });
            let got = '';
            const timer = setTimeout(() => reject(new Error(`no FIN from the tunnel; got ${got}`)), 5000);
            s.on('data', (d: Buffer) => (got += d.toString()));
            s.on('end', () => {
              clearTimeout(timer);
              s.destroy();
              resolve(got);
            });
            s.on('error', reject);
          }),
      ),
    );
    for (const got of ended) expect(got).toBe('+OK\r\n*-1\r\n$1\r\nv\r\n');
  });

  it('MULTI on a hash tag runs on its node; a MULTI across nodes is refused whole, nothing applied', async () => {
    const io = new Redis({ host: LOCAL, port: PORT });
    try {
      const tx = await io.multi().incr('{smart:tx}:a').incr('{smart:tx}:b').get('{smart:tx}:a').exec();
      expect(tx).toEqual([
        [null, 1],
        [null, 1],
        [null, '1'],
      ]);
    } finally {
      io.disconnect();
    }
    const [a, , , b] = keysOnEveryMaster('smart:txx');
    const owner = (k: string): string => {
      const r = ranges.find((x) => hashSlot(k) >= x.start && hashSlot(k) <= x.end) as SlotRange;
      return `${r.ip}:${r.port}`;
    };
    expect(owner(a)).not.toBe(owner(b));
    const r = await raw(`MULTI\r\nSET ${a} 1\r\nSET ${b} 2\r\nEXEC\r\nEXISTS ${a} ${b}\r\n`);
    const lines = r.reply.split('\r\n');
    expect(lines.slice(0, 3)).toEqual(['+OK', '+QUEUED', lines[2]]);
    expect(lines[2]).toMatch(/^-ERR redis-cluster-tunnel: a transaction runs on one node/);
    expect(lines[3]).toMatch(/^-EXECABORT/);
    expect(lines[4]).toBe(':0');
  });

  it('WATCH then a change by another client: EXEC answers null and nothing runs', async () => {
    const [key] = keysOnEveryMaster('smart:watch');
    const watcher = new Redis({ host: LOCAL, port: PORT });
    const other = new Redis({ host: LOCAL, port: PORT });
    try {
      await watcher.set(key, 'before');
      expect(await watcher.watch(key)).toBe('OK');
      await other.set(key, 'changed');
      expect(await watcher.multi().set(key, 'tx').exec()).toBeNull();
      expect(await other.get(key)).toBe('changed');
    } finally {
      watcher.disconnect();
      other.disconnect();
    }
  });

  it('INFO answers as one server would, its keyspace summed over every master', async () => {
    const direct = await Promise.all(masters().map((m) => cluster.cli(m, ['DBSIZE']).then(Number)));
    const info = await cli('INFO');
    expect(info).toContain('# Server');
    const keys = Number(/^db0:keys=(\d+)/m.exec(info)?.[1]);
    expect(keys).toBe(direct.reduce((x, y) => x + y, 0));
  });

  it('SUBSCRIBE and PSUBSCRIBE hear messages published on any node (cluster-wide)', async () => {
    const sub = new Redis({ host: LOCAL, port: PORT });
    const got: string[] = [];
    try {
      sub.on('message', (ch: string, m: string) => got.push(`${ch}:${m}`));
      sub.on('pmessage', (p: string, ch: string, m: string) => got.push(`${p}>${ch}:${m}`));
      expect(await sub.subscribe('smart:news', 'smart:sport')).toBe(2);
      expect(await sub.psubscribe('smart:n*')).toBe(3);
      for (const [i, m] of masters().entries()) await cluster.cli(m, ['PUBLISH', 'smart:news', `direct${i}`]);
      await cli('PUBLISH', 'smart:sport', 'via-tunnel');
      const want = [
        ...masters().flatMap((_, i) => [`smart:news:direct${i}`, `smart:n*>smart:news:direct${i}`]),
        'smart:sport:via-tunnel',
      ];
      await waitFor('every message', 5000, async () => want.every((w) => got.includes(w)));
      expect([...got].sort()).toEqual([...want].sort());
    } finally {
      sub.disconnect();
    }
  });

  it("SSUBSCRIBE goes to each channel's owner; counts are the client's; SPUBLISH is routed", async () => {
    const channels = keysOnEveryMaster('smart:shard');
    const subscribed = raw(channels.map((c) => `SSUBSCRIBE ${c}\r\n`).join(''), 1500);
    await new Promise((r) => setTimeout(r, 500));
    for (const c of channels) expect((await cli('SPUBLISH', c, 'hi')).trim()).toBe('1');
    const r = await subscribed;
    // Confirmations count this client's shard channels, 1..n, whatever node each lives on.
    channels.forEach((c, i) =>
      expect(r.reply).toContain(`*3\r\n$10\r\nssubscribe\r\n$${c.length}\r\n${c}\r\n:${i + 1}\r\n`),
    );
    for (const c of channels)
      expect(r.reply).toContain(`$8\r\nsmessage\r\n$${c.length}\r\n${c}\r\n$2\r\nhi\r\n`);
  });

  it('RESP2 subscribed state is as one server has it: only pub/sub commands and PING', async () => {
    const r = await raw('SUBSCRIBE smart:c\r\nGET smart:x\r\nPING\r\nUNSUBSCRIBE\r\nGET smart:absent\r\n');
    expect(r.reply).toBe(
      '*3\r\n$9\r\nsubscribe\r\n$7\r\nsmart:c\r\n:1\r\n' +
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
        '*2\r\n$4\r\npong\r\n$0\r\n\r\n' +
        '*3\r\n$11\r\nunsubscribe\r\n$7\r\nsmart:c\r\n:0\r\n' +
        '$-1\r\n',
    );
  });

  it('RESP3: subscriptions are pushes, and other commands run while subscribed', async () => {
    const r = await raw('HELLO 3\r\nSUBSCRIBE smart:r3c\r\nSET smart:r3k v\r\nGET smart:r3k\r\n', 1000);
    expect(r.reply).toContain('>3\r\n$9\r\nsubscribe\r\n$9\r\nsmart:r3c\r\n:1\r\n');
    expect(r.reply).toContain('+OK\r\n$1\r\nv\r\n');
  });

  it('MONITOR: one +OK, then the commands every master runs, line by line', async () => {
    const watching = raw('MONITOR\r\n', 2000);
    await new Promise((r) => setTimeout(r, 700));
    const keys = keysOnEveryMaster('smart:mon');
    for (const k of keys) await cli('SET', k, 'seen');
    const r = await watching;
    expect(r.reply.startsWith('+OK\r\n')).toBe(true);
    expect(r.reply.match(/\+OK\r\n/g)).toHaveLength(1);
    for (const k of keys)
      expect(r.reply).toMatch(new RegExp(`^\\+\\d+\\.\\d+ \\[0 [^\\]]+\\] "SET" "${k}" "seen"\r$`, 'm'));
  });

  it('RESET, as one server does it: transaction, subscriptions, name and protocol are gone', async () => {
    const r = await raw(
      'CLIENT SETNAME smart-me\r\nHELLO 3\r\nSUBSCRIBE smart:rc\r\nMULTI\r\nRESET\r\n' +
        'CLIENT GETNAME\r\nEXEC\r\nGET smart:absent\r\nPING\r\n',
      1000,
    );
    const afterReset = r.reply.slice(r.reply.indexOf('+RESET\r\n'));
    expect(afterReset).toBe('+RESET\r\n$-1\r\n-ERR EXEC without MULTI\r\n$-1\r\n+PONG\r\n');
    expect(r.closed).toBe(false);
  });

  it('CLIENT REPLY OFF, SKIP and ON: replies dropped as a server drops them, nothing out of step', async () => {
    const r = await raw(
      'SET smart:cr 1\r\nCLIENT REPLY OFF\r\nINCR smart:cr\r\nGET smart:cr\r\nCLIENT REPLY ON\r\nGET smart:cr\r\n' +
        'CLIENT REPLY SKIP\r\nINCR smart:cr\r\nGET smart:cr\r\nCLIENT REPLY BOGUS\r\n',
    );
    expect(r.reply).toBe('+OK\r\n+OK\r\n$1\r\n2\r\n$1\r\n3\r\n-ERR syntax error\r\n');
  });

  it('what smart mode cannot serve gets an error naming it; the connection stays usable', async () => {
    const r = await raw('SYNC\r\nPING\r\n');
    expect(r.reply).toBe(
      '-ERR redis-cluster-tunnel smart mode does not serve SYNC: a replica copies one node, and this port is every node; use pinned mode for it\r\n+PONG\r\n',
    );
    expect(r.closed).toBe(false);
  });

  it('HTTP sent to the port (POST, Host:) closes that connection, as Redis does; others go on', async () => {
    const post = await raw('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(post.closed).toBe(true);
    expect(post.reply).toBe('');
    expect((await cli('PING')).trim()).toBe('PONG');
  });

  it('a malformed request gets a protocol error and closes that connection only', async () => {
    const bad = await raw('*1\r\n$x\r\n');
    expect(bad.reply).toMatch(/^-ERR Protocol error/);
    expect(bad.closed).toBe(true);
    expect((await cli('PING')).trim()).toBe('PONG');
  });
});
