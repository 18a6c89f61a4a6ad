/**
 * --local-password on the project's real TLS cluster: clients AUTH to the tunnel before anything
 * else, in pinned and smart mode; cluster clients given the password work through every node;
 * without it they are refused; the password reaches no node and no log.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { resolve } from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RunningTunnel, redisCli, runTunnelToExit, seedArgs, startTunnel } from './helpers/tunnel.js';

const run = promisify(execFile);
const description = inject('cluster');
const LOCAL_PASSWORD = 'local-only-s3cret';
const SMART = 6398;
/** A key the seed node (7001, slots from 0) serves itself, so the pinned listener answers it. */
const ON_7001 = keyForSlot(0, 'la:');
let tunnel: RunningTunnel;

/** One raw conversation with a local port: what it answers to `bytes`. */
function raw(port: number, bytes: string, waitMs = 500): Promise<string> {
  return new Promise((done) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    let reply = '';
    s.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    s.on('error', () => undefined);
    setTimeout(() => {
      s.destroy();
      done(reply);
    }, waitMs);
  });
}

beforeAll(async () => {
  tunnel = await startTunnel(
    [...seedArgs(description), '--mode', 'both', '--smart-port', String(SMART), '--log-level', 'debug'],
    { REDISCLI_AUTH: description.password, REDIS_CLUSTER_TUNNEL_LOCAL_PASSWORD: LOCAL_PASSWORD },
  );
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
  expect(tunnel.stderr()).not.toContain(LOCAL_PASSWORD);
  expect(tunnel.stderr()).not.toContain(description.password);
});

describe('--local-password', () => {
  it('without AUTH: -NOAUTH, on a node listener and on the smart port; a wrong password: -WRONGPASS', async () => {
    expect(await redisCli(['-p', '7001', 'PING'])).toMatch(/^NOAUTH Authentication required/);
    expect(await redisCli(['-p', String(SMART), 'GET', 'k'])).toMatch(/^NOAUTH Authentication required/);
    for (const port of [7001, SMART])
      expect(await raw(port, 'AUTH wrong\r\nPING\r\nQUIT\r\n')).toBe(
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication required.\r\n+OK\r\n',
      );
  });

  it('before AUTH, a request it cannot read, or QUIT and more: answered and closed, as a node does', async () => {
    /** What comes back on `socket` for `bytes`, and whether the peer closed within 3 s. */
    const exchange = (socket: net.Socket, bytes: string): Promise<string> =>
      new Promise((done) => {
        let got = '';
        socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
        socket.on('error', () => undefined);
        const timer = setTimeout(() => done(`${got}<open>`), 3000);
        socket.on('close', () => {
          clearTimeout(timer);
          done(`${got}<closed>`);
        });
        socket.write(bytes);
      });
    const node = description.nodes[0];
    const cases: Array<[string, string]> = [
      [
        'PING\r\n*1\r\n$x\r\n',
        '-NOAUTH Authentication required.\r\n-ERR Protocol error: invalid bulk length\r\n<closed>',
      ],
      ['QUIT\r\nPING\r\n', '+OK\r\n<closed>'],
    ];
    for (const [bytes, expected] of cases) {
      const direct = tls.connect({ host: node.ip, port: node.port, ca: readFileSync(description.caCert) });
      await new Promise((r) => direct.once('secureConnect', r));
      const fromNode = await exchange(direct, bytes);
      direct.destroy();
      expect(fromNode).toBe(expected);
      for (const port of [7001, SMART]) {
        const socket = net.connect({ host: '127.0.0.1', port });
        await new Promise((r) => socket.once('connect', r));
        expect(`${port}: ${await exchange(socket, bytes)}`).toBe(`${port}: ${fromNode}`);
        socket.destroy();
      }
    }
  });

  it('AUTH with any user name, then everything; later AUTHs are answered in order and reach no node', async () => {
    for (const port of [7001, SMART])
      expect(
        await raw(
          port,
          `AUTH ${LOCAL_PASSWORD}\r\nAUTH wrong\r\nAUTH someone ${LOCAL_PASSWORD}\r\nSET ${ON_7001} v\r\nGET ${ON_7001}\r\n`,
        ),
        String(port),
      ).toBe(
        '+OK\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n+OK\r\n$1\r\nv\r\n',
      );
  });

  it('HELLO 3 AUTH: authenticates and switches protocol, as a server does', async () => {
    for (const port of [7001, SMART]) {
      const r = await raw(port, `HELLO 3 AUTH anyone ${LOCAL_PASSWORD}\r\nPING\r\nGET ${ON_7001}:absent\r\n`);
      expect(r, String(port)).toMatch(/^%7\r\n\$6\r\nserver\r\n/);
      expect(r.endsWith('+PONG\r\n_\r\n'), r).toBe(true);
    }
    expect(await raw(7001, 'HELLO 3\r\n')).toMatch(
      /^-NOAUTH HELLO must be called with the client already authenticated/,
    );
  });

  it('redis-cli -c, ioredis Cluster, node-redis createCluster (RESP3) and redis-py RedisCluster with the password', async () => {
    const cli = (...a: string[]): Promise<string> =>
      redisCli(['-c', '-p', '7001', '-a', LOCAL_PASSWORD, '--no-auth-warning', ...a]);
    for (let i = 0; i < 30; i++) expect(await cli('SET', `la:cli:${i}`, `v${i}`)).toBe('OK\n');
    expect(await cli('GET', 'la:cli:29')).toBe('v29\n');

    const io = new Cluster([{ host: '127.0.0.1', port: 7001 }], {
      redisOptions: { password: LOCAL_PASSWORD },
    });
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `la:io:${i}`);
      await Promise.all(keys.map((k) => io.set(k, k)));
      expect(await Promise.all(keys.map((k) => io.get(k)))).toEqual(keys);
      expect(io.nodes('all')).toHaveLength(6);
    } finally {
      io.disconnect();
    }

    const nr = createCluster({
      rootNodes: [{ url: 'redis://127.0.0.1:7001' }],
      defaults: { password: LOCAL_PASSWORD },
      RESP: 3,
    });
    await nr.connect();
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `la:nr:${i}`);
      for (const k of keys) await nr.set(k, k);
      for (const k of keys) expect(await nr.get(k)).toBe(k);
    } finally {
      await nr.close();
    }

    const script = resolve(__dirname, 'clients/redis_py_workload.py');
    const { stdout } = await run('/usr/bin/python3', [script, '127.0.0.1', '7001', '200', LOCAL_PASSWORD], {
      timeout: 120_000,
    });
    const py = JSON.parse(stdout.trim().split('\n').pop() as string) as {
      error_count: number;
      mismatches: number;
    };
    expect(py).toMatchObject({ error_count: 0, mismatches: 0 });
  });

  it('cluster clients without the password are refused', async () => {
    const io = new Cluster([{ host: '127.0.0.1', port: 7001 }], {
      clusterRetryStrategy: () => null,
      redisOptions: { maxRetriesPerRequest: 0 },
    });
    io.on('error', () => undefined);
    try {
      // ioredis reports the failed slot refresh (every node answered NOAUTH) as this:
      await expect(io.set('la:refused', 'x')).rejects.toThrow(/None of startup nodes is available|NOAUTH/);
    } finally {
      io.disconnect();
    }
    const one = new Redis({ port: 7001, maxRetriesPerRequest: 0, retryStrategy: () => null });
    one.on('error', () => undefined);
    try {
      await expect(one.get(ON_7001)).rejects.toThrow(/^NOAUTH /); // ioredis 6 starts with HELLO
    } finally {
      one.disconnect();
    }
    const script = resolve(__dirname, 'clients/redis_py_workload.py');
    const refused = await run('/usr/bin/python3', [script, '127.0.0.1', '7001', '1'], {
      timeout: 60_000,
    }).catch((e: { stderr?: string }) => ({ stdout: '', stderr: e.stderr ?? '' }));
    expect(refused.stdout + refused.stderr).toMatch(/NOAUTH|Authentication required/);
  });

  it('smart mode: redis-cli without -c, given the password, uses the whole cluster', async () => {
    const cli = (...a: string[]): Promise<string> =>
      redisCli(['-p', String(SMART), '-a', LOCAL_PASSWORD, '--no-auth-warning', ...a]);
    expect(await cli('MSET', 'la:s:a', '1', 'la:s:b', '2', 'la:s:c', '3')).toBe('OK\n');
    expect(await cli('MGET', 'la:s:a', 'la:s:b', 'la:s:c')).toBe('1\n2\n3\n');
  });

  it('exec mode passes the password to the command in REDIS_URL', async () => {
    const r = await runTunnelToExit(
      [
        ...seedArgs(description),
        '--map',
        '127.0.0.11:7001=7091',
        '--',
        'sh',
        '-c',
        'redis-cli -u "$REDIS_URL" PING',
      ],
      { REDISCLI_AUTH: description.password, REDIS_CLUSTER_TUNNEL_LOCAL_PASSWORD: LOCAL_PASSWORD },
    );
    expect(r.stdout).toBe('PONG\n');
    expect(r.code).toBe(0);
  });
});
