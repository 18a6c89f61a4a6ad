/**
 * Through the real CLI, against FAKE nodes (test/helpers/fake-cluster.ts) for what Redis 7.0 will
 * not produce on demand: unbracketed IPv6 node addresses all on port 6379, `?` endpoints, and a
 * `noaddr` node. The announced IPv6 addresses are reached through --resolve (traffic stays on
 * 127.0.0.0/8).
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/lib/cluster.js';
import { hashSlot, keyForSlot } from '../../src/topology/hash-slot.js';
import { type EndpointMode, FakeCluster, type FakeNodeSpec } from '../helpers/fake-cluster.js';
import { type RunningTunnel, redisCli, startTunnel } from './helpers/tunnel.js';

const NODES: FakeNodeSpec[] = [
  {
    id: '1'.repeat(40),
    listen: { host: '127.0.0.51', port: 6379 },
    ip: 'fd00::51',
    port: 6379,
    slots: [0, 5460],
  },
  {
    id: '2'.repeat(40),
    listen: { host: '127.0.0.52', port: 6379 },
    ip: 'fd00::52',
    port: 6379,
    slots: [5461, 10922],
  },
  {
    id: '3'.repeat(40),
    listen: { host: '127.0.0.53', port: 6379 },
    ip: 'fd00::53',
    port: 6379,
    slots: [10923, 16383],
  },
];
const RESOLVE = NODES.flatMap((n) => ['--resolve', `[${n.ip}]:${n.port}:${n.listen.host}`]);

for (const mode of ['ip', '?'] as EndpointMode[]) {
  describe(`fake nodes: IPv6 addresses, endpoints ${mode === 'ip' ? 'as IPv6' : '`?`'}, every node on 6379`, () => {
    const fake = new FakeCluster(NODES, mode);
    let tunnel: RunningTunnel;

    beforeAll(async () => {
      await fake.start();
      tunnel = await startTunnel(['redis://[fd00::51]:6379', ...RESOLVE, '--refresh-interval', '0'], {});
    });

    afterAll(async () => {
      expect(await tunnel.stop()).toBe(0);
      await fake.stop();
    });

    it('discovers the IPv6 nodes and gives them 6379, 6380, 6381 (seed first)', () => {
      const out = tunnel.stdout();
      expect(out).toMatch(/^127\.0\.0\.1:6379 +fd00::51:6379 +master +0-5460$/m);
      expect(out).toMatch(/^127\.0\.0\.1:6380 +fd00::52:6379 +master +5461-10922$/m);
      expect(out).toMatch(/^127\.0\.0\.1:6381 +fd00::53:6379 +master +10923-16383$/m);
    });

    it('CLUSTER SLOTS points at the listeners', async () => {
      const out = (await redisCli(['-p', '6379', 'CLUSTER', 'SLOTS'])).trim().split('\n');
      // The host of each node, plus (in `?` mode) the `ip` in its metadata.
      expect(out.filter((l) => l === '127.0.0.1')).toHaveLength(mode === '?' ? 6 : 3);
      expect(out).toEqual(expect.arrayContaining(['6379', '6380', '6381']));
      expect(out.join(' ')).not.toMatch(/fd00|\?/);
    });

    it('MOVED to an unbracketed IPv6 address or `?` becomes the owner’s listener, and -c follows it', async () => {
      const key = keyForSlot(7000, 'fake:');
      expect((await redisCli(['-p', '6379', 'GET', key])).trim()).toBe(
        `MOVED ${hashSlot(key)} 127.0.0.1:6380`,
      );
      expect((await redisCli(['-c', '-p', '6379', 'GET', key])).trim()).toBe(`value of ${key} at fd00::52`);
      expect(fake.received.get(NODES[1].id)?.some((a) => a[0] === 'GET' && a[1] === key)).toBe(true);
    });

    it('a malformed reply closes the connection it came on, and fails only the clients waiting on it', async () => {
      await expect(redisCli(['-p', '6379', 'GARBAGE'])).rejects.toThrow();
      expect(tunnel.stderr()).toMatch(/malformed reply \(ERR_UNKNOWN_TYPE\)/);
      expect((await redisCli(['-p', '6379', 'PING'])).trim()).toBe('PONG');
    });

    it('CLUSTER NODES: IPv6 addresses rewritten, the noaddr line byte for byte', async () => {
      const out = await redisCli(['-p', '6381', 'CLUSTER', 'NODES']);
      expect(out).toContain(`${NODES[0].id} 127.0.0.1:6379@16379 master`);
      expect(out).toContain(`${NODES[2].id} 127.0.0.1:6381@16379 myself,master`);
      expect(out).toContain(fake.noaddrLine());
      expect(out).not.toContain('fd00::5');
    });
  });
}

// With --workers 2 the MOVED is held in a worker while the primary binds the listener.
for (const workers of ['1', '2'])
  describe(`fake nodes: a MOVED to a node no topology lists (served ad hoc, then retired; --workers ${workers})`, () => {
    const hidden: FakeNodeSpec = {
      id: '9'.repeat(40),
      listen: { host: '127.0.0.59', port: 6379 },
      ip: 'fd00::59',
      port: 6379,
      slots: [0, 0],
    };
    const fake = new FakeCluster(NODES, 'ip', hidden);
    let tunnel: RunningTunnel;

    beforeAll(async () => {
      await fake.start();
      tunnel = await startTunnel(
        [
          'redis://[fd00::51]:6379',
          ...RESOLVE,
          '--resolve',
          '[fd00::59]:6379:127.0.0.59',
          '--refresh-interval',
          '500',
          '--retire-after',
          '1500',
          '--workers',
          workers,
        ],
        {},
      );
    });

    afterAll(async () => {
      expect(await tunnel.stop()).toBe(0);
      await fake.stop();
    });

    it('the MOVED is held until a listener for the target is bound, and -c follows it there', async () => {
      const key = 'hidden:k1';
      // The three listed nodes hold 6379-6381; the unknown target gets the next free port.
      expect((await redisCli(['-p', '6379', 'GET', key])).trim()).toBe(
        `MOVED ${hashSlot(key)} 127.0.0.1:6382`,
      );
      expect(tunnel.stderr()).toContain(
        'serving redirect target fd00::59:6379 at 127.0.0.1:6382 until a topology lists it',
      );
      expect((await redisCli(['-c', '-p', '6380', 'GET', key])).trim()).toBe(`value of ${key} at fd00::59`);
    });

    it('a redirect target no topology ever lists is retired after --retire-after', async () => {
      await waitFor('the ad hoc listener to close', 10_000, async () =>
        tunnel.stderr().includes('node fd00::59:6379 left the cluster; closing its listener 6382'),
      );
      await expect(redisCli(['-p', '6382', 'PING'])).rejects.toThrow(/Connection refused|Could not connect/);
    });
  });

/**
 * A FAKE proxy endpoint (as Redis Enterprise or Azure's Enterprise policy present a database):
 * one server that refuses CLUSTER and ROLE and answers PING and ECHO. No real server refuses ROLE,
 * hence the fake.
 */
describe('a fake proxy endpoint that refuses CLUSTER and ROLE', () => {
  const PROXY = { host: '127.0.0.55', port: 6390 };
  let server: net.Server;
  let tunnel: RunningTunnel;

  /** The multibulk requests complete in `buf`, and what is left. */
  function requests(buf: Buffer): { args: string[][]; rest: Buffer } {
    const args: string[][] = [];
    let pos = 0;
    for (;;) {
      const lines: string[] = [];
      const head = buf.indexOf('\r\n', pos);
      if (head < 0 || buf[pos] !== 0x2a) break;
      const n = Number(buf.toString('latin1', pos + 1, head));
      let p = head + 2;
      let complete = true;
      for (let i = 0; i < n; i++) {
        const end = buf.indexOf('\r\n', p);
        if (end < 0) {
          complete = false;
          break;
        }
        const len = Number(buf.toString('latin1', p + 1, end));
        if (buf.length < end + 2 + len + 2) {
          complete = false;
          break;
        }
        lines.push(buf.toString('latin1', end + 2, end + 2 + len));
        p = end + 2 + len + 2;
      }
      if (!complete) break;
      args.push(lines);
      pos = p;
    }
    return { args, rest: buf.subarray(pos) };
  }

  beforeAll(async () => {
    server = net.createServer((socket) => {
      let buf: Buffer = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        const got = requests(Buffer.concat([buf, d]));
        buf = got.rest;
        for (const [name, ...rest] of got.args) {
          const cmd = name.toUpperCase();
          if (cmd === 'PING') socket.write('+PONG\r\n');
          else if (cmd === 'ECHO') socket.write(`$${Buffer.byteLength(rest[0])}\r\n${rest[0]}\r\n`);
          else socket.write(`-ERR unknown command '${name}'\r\n`);
        }
      });
      socket.on('error', () => socket.destroy());
    });
    await new Promise<void>((r) => server.listen(PROXY.port, PROXY.host, r));
    tunnel = await startTunnel([`redis://${PROXY.host}:${PROXY.port}`, '--refresh-interval', '0'], {});
  });

  afterAll(async () => {
    expect(await tunnel.stop()).toBe(0);
    await new Promise((r) => server.close(r));
  });

  it('is served as one standalone server, detected by itself', async () => {
    expect(tunnel.stderr()).toContain(
      `${PROXY.host}:${PROXY.port} refuses ROLE: serving it as one server, without replicas`,
    );
    expect(tunnel.stdout()).toMatch(
      /^127\.0\.0\.1:(\d+) +127\.0\.0\.55:6390 +primary +standalone: follows failover$/m,
    );
    expect(tunnel.stdout()).toContain('ready: a standalone primary and 0 replicas.');
    const port = /^127\.0\.0\.1:(\d+) +127\.0\.0\.55:6390/m.exec(tunnel.stdout())?.[1] as string;
    expect((await redisCli(['-p', port, 'ECHO', 'through'])).trim()).toBe('through');
  });
});
