/**
 * Pinned mode's shared connection, on the project's real TLS cluster and seen from the node itself
 * (CLIENT LIST, asked directly over TLS): plain requests of every client of a listener take one
 * pipelined connection to the node; a client that needs a connection of its own (CLIENT, MULTI,
 * BLPOP...) gets one at that request, after its shared replies, and keeps it. Each test talks to
 * the seed listener (7001, the node 127.0.0.11:7001) with raw RESP over TCP.
 */
import * as net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sleep, waitFor } from '../../scripts/lib/cluster.js';
import { encodeCommand } from '../../src/resp/encode.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { askNode, nodeClients } from './helpers/node.js';
import { type RunningTunnel, authCommandArgs, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const env = { REDISCLI_AUTH: description.password };
let tunnel: RunningTunnel;

/** A client of a listener: `ask` writes bytes and resolves with what came back by `until`. */
class RawClient {
  private got = '';
  private waiter: (() => void) | null = null;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.got += d.toString('latin1');
      this.waiter?.();
    });
  }

  static open(port = 7001, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  ask(bytes: string | Buffer, until: (reply: string) => boolean, timeoutMs = 10_000): Promise<string> {
    this.got = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no full reply: ${this.got.slice(0, 200)}`)),
        timeoutMs,
      );
      this.waiter = () => {
        if (!until(this.got)) return;
        clearTimeout(timer);
        this.waiter = null;
        resolve(this.got);
      };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const lines = (n: number) => (r: string) => r.split('\r\n').length > n;
const cmd = (...args: string[]): string => encodeCommand(args).toString('latin1');
/** Connections of the node's user whose last command was `name`. */
const lastCommand = async (name: string): Promise<string[]> =>
  (await nodeClients(description)).filter((l) => l.includes(` cmd=${name} `));

const STATUS = 9194;
/** Pinned clients that took a connection of their own so far (the status page's count). */
const ownConnections = async (): Promise<number> =>
  (
    (await (await fetch(`http://127.0.0.1:${STATUS}/status`)).json()) as {
      clients: { ownConnections: number };
    }
  ).clients.ownConnections;

beforeAll(async () => {
  tunnel = await startTunnel(
    [...seedArgs(description), '--log-level', 'debug', '--status-port', String(STATUS)],
    env,
  );
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

describe('the shared connection', () => {
  it('40 clients with PING answered and still open hold one connection to the node; with --no-share, 40', async () => {
    const own = await ownConnections();
    const clients = await Promise.all(Array.from({ length: 40 }, () => RawClient.open()));
    for (const c of clients) expect(await c.ask('PING\r\n', lines(1))).toBe('+PONG\r\n');
    expect(await lastCommand('ping')).toHaveLength(1);
    expect(await ownConnections()).toBe(own);
    for (const c of clients) c.close();

    const unshared = await startTunnel([...seedArgs(description), '--no-share', '--bind', '127.0.0.7'], env);
    try {
      const mine = await Promise.all(Array.from({ length: 40 }, () => RawClient.open(7001, '127.0.0.7')));
      for (const c of mine) expect(await c.ask('ECHO own\r\n', lines(2))).toBe('$3\r\nown\r\n');
      expect(await lastCommand('echo')).toHaveLength(40);
      for (const c of mine) c.close();
    } finally {
      expect(await unshared.stop()).toBe(0);
    }
  });

  it('a pipeline that moves to its own connection midway is answered in order', async () => {
    const key = keyForSlot(100, 'shared:order:');
    const own = await ownConnections();
    const c = await RawClient.open();
    const pipeline = [
      cmd('SET', key, '1'),
      cmd('GET', key),
      cmd('CLIENT', 'SETNAME', 'mover'),
      cmd('CLIENT', 'GETNAME'),
      cmd('INCR', key),
      cmd('MULTI'),
      cmd('INCR', key),
      cmd('EXEC'),
      cmd('GET', key),
    ].join('');
    const expected =
      '+OK\r\n$1\r\n1\r\n+OK\r\n$5\r\nmover\r\n:2\r\n+OK\r\n+QUEUED\r\n*1\r\n:3\r\n$1\r\n3\r\n';
    expect(await c.ask(pipeline, (r) => r.length >= expected.length)).toBe(expected);
    await waitFor('the pin to be logged', 5000, async () =>
      /takes a connection of its own: CLIENT needs a connection of its own/.test(tunnel.stderr()),
    );
    expect(await ownConnections()).toBe(own + 1);
    c.close();
  });

  it('labels a client library sends on connect (CLIENT SETNAME, SETINFO) stay shared, and follow it to its own connection', async () => {
    const own = await ownConnections();
    const c = await RawClient.open();
    // CLIENT SETINFO is 7.2's: on this 7.0 node the client gets the node's own error, as directly.
    const setinfo = ['CLIENT', 'SETINFO', 'LIB-NAME', 'rawlib'];
    const direct = await askNode(description, setinfo);
    const labels = cmd('CLIENT', 'SETNAME', 'labelled') + cmd(...setinfo) + cmd('PING');
    const replies = await c.ask(labels, lines(3));
    expect(replies).toBe(`+OK\r\n-${direct.trim()}\r\n+PONG\r\n`);
    expect(await ownConnections()).toBe(own);
    // CLIENT GETNAME needs the client's own connection: the name was set there first.
    expect(await c.ask(cmd('CLIENT', 'GETNAME'), lines(2))).toBe('$8\r\nlabelled\r\n');
    expect(await ownConnections()).toBe(own + 1);
    const mine = (await nodeClients(description)).filter((l) => l.includes(' name=labelled '));
    expect(mine.some((l) => l.includes(' cmd=client|getname '))).toBe(true);
    c.close();
  });

  it('HELLO 3 SETNAME: the client moves to the RESP3 shared connection, and its own connection later speaks RESP3 under its name', async () => {
    const own = await ownConnections();
    const c = await RawClient.open();
    const hello = await c.ask(cmd('HELLO', '3', 'SETNAME', 'threes'), (r) => r.endsWith('modules\r\n*0\r\n'));
    expect(hello).toMatch(/^%7\r\n/);
    expect(hello).toContain('$5\r\nproto\r\n:3\r\n');
    const key = keyForSlot(150, 'shared:resp3:');
    expect(await c.ask(cmd('HSET', key, 'f', 'v') + cmd('HGETALL', key), lines(6))).toBe(
      ':1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n',
    );
    expect(await ownConnections()).toBe(own);
    // CLIENT INFO needs the client's own connection: HELLO went there first (RESP3, the name).
    const info = await c.ask(cmd('CLIENT', 'INFO'), (r) => r.endsWith('\n\r\n'));
    expect(info).toMatch(/^=\d+\r\ntxt:id=/);
    expect(info).toContain(' name=threes ');
    expect(info).toMatch(/ resp=3\n/);
    expect(await ownConnections()).toBe(own + 1);
    c.close();
  });

  it('node-redis and ioredis, which send HELLO 3 and CLIENT SETINFO on connect, stay on the shared connections', async () => {
    const own = await ownConnections();
    const key = keyForSlot(160, 'shared:libs:');
    for (let i = 0; i < 5; i++) {
      const nr = createClient({ url: 'redis://127.0.0.1:7001', socket: { reconnectStrategy: false } });
      await nr.connect();
      expect(await nr.hSet(key, 'n', String(i))).toBeGreaterThanOrEqual(0);
      expect(await nr.hGetAll(key)).toMatchObject({ n: String(i) });
      nr.destroy();
      const io = new Redis({
        port: 7001,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      await io.connect();
      expect(await io.hget(key, 'n')).toBe(String(i));
      expect(await io.quit()).toBe('OK');
    }
    expect(await ownConnections()).toBe(own);
    expect(tunnel.stderr()).not.toMatch(/HELLO needs a connection of its own/);
  });

  it("one client's MULTI and name stay on its own connection: a shared client is neither queued nor named", async () => {
    const key = keyForSlot(200, 'shared:tx:');
    const a = await RawClient.open();
    const b = await RawClient.open();
    expect(
      await a.ask(cmd('CLIENT', 'SETNAME', 'alone') + cmd('MULTI') + cmd('SET', key, 'a'), lines(3)),
    ).toBe('+OK\r\n+OK\r\n+QUEUED\r\n');
    expect(await b.ask(cmd('SET', key, 'b') + cmd('GET', key), lines(3))).toBe('+OK\r\n$1\r\nb\r\n');
    expect(await a.ask(cmd('EXEC') + cmd('GET', key), lines(4))).toBe('*1\r\n+OK\r\n$1\r\na\r\n');
    // B's CLIENT takes a fresh connection of its own: no name on it.
    expect(await b.ask(cmd('CLIENT', 'GETNAME'), lines(1))).toBe('$-1\r\n');
    a.close();
    b.close();
  });

  it('a blocked client holds only its own connection: the shared one goes on answering', async () => {
    const a = await RawClient.open();
    const b = await RawClient.open();
    const started = Date.now();
    const blocked = a.ask(cmd('BLPOP', keyForSlot(300, 'shared:empty:'), '1.5'), lines(1), 10_000);
    await sleep(100);
    for (let i = 0; i < 20; i++) expect(await b.ask('PING\r\n', lines(1))).toBe('+PONG\r\n');
    const sharedDone = Date.now() - started;
    expect(await blocked).toBe('*-1\r\n');
    const blockedDone = Date.now() - started;
    expect(sharedDone, `20 PINGs took ${sharedDone} ms`).toBeLessThan(1000);
    expect(blockedDone).toBeGreaterThanOrEqual(1500);
    a.close();
    b.close();
  });

  it('killed by the node, it is opened again: a client with nothing in flight goes on', async () => {
    const c = await RawClient.open();
    expect(await c.ask(cmd('ECHO', 'before'), lines(2))).toBe('$6\r\nbefore\r\n');
    const shared = await lastCommand('echo');
    expect(shared).toHaveLength(1);
    const id = /^id=(\d+) /.exec(shared[0])?.[1] as string;
    expect((await askNode(description, ['CLIENT', 'KILL', 'ID', id])).trim()).toBe('1');
    await waitFor('the node to drop it', 5000, async () => (await lastCommand('echo')).length === 0);
    expect(await c.ask(cmd('ECHO', 'after'), lines(2))).toBe('$5\r\nafter\r\n');
    const again = await lastCommand('echo');
    expect(again).toHaveLength(1);
    expect(/^id=(\d+) /.exec(again[0])?.[1]).not.toBe(id);
    c.close();
  });

  it('a 4 MiB request goes on its own connection, and the 4 MiB reply streams through the shared one intact', async () => {
    const key = keyForSlot(400, 'shared:big:');
    const value = 'v'.repeat(4 << 20);
    const writer = await RawClient.open();
    expect(await writer.ask(cmd('SET', key, value), lines(1), 20_000)).toBe('+OK\r\n');
    expect(tunnel.stderr()).toMatch(/a request over 256 KiB streams on its own connection/);
    const reader = await RawClient.open();
    const expected = `$${value.length}\r\n${value}\r\n`;
    const got = await reader.ask(cmd('GET', key), (r) => r.length >= expected.length, 20_000);
    expect(got.length).toBe(expected.length);
    expect(got === expected).toBe(true);
    writer.close();
    reader.close();
  });

  it('a storm of 300 concurrent new clients: every one answered on the shared connection', async () => {
    const replies = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const c = await RawClient.open();
        const r = await c.ask(cmd('ECHO', `storm-${i}`), lines(2));
        c.close();
        return r === `$${`storm-${i}`.length}\r\nstorm-${i}\r\n`;
      }),
    );
    expect(replies.filter((ok) => !ok)).toHaveLength(0);
    expect((await lastCommand('echo')).length).toBeLessThanOrEqual(1);
  });
});

describe('the shared connection and a credential refresh', () => {
  it('each refresh re-authenticates it, seen from the node as its last command', async () => {
    const refreshing = await startTunnel(
      [
        ...seedArgs(description),
        '--bind',
        '127.0.0.8',
        '--pool',
        '0',
        ...authCommandArgs(description.password, 300),
        '--log-level',
        'debug',
      ],
      {},
    );
    try {
      const c = await RawClient.open(7001, '127.0.0.8');
      // LASTSAVE: a command no other test sends, so its connection is this tunnel's shared one.
      expect(await c.ask(cmd('LASTSAVE'), lines(1))).toMatch(/^:\d+\r\n$/);
      const shared = await lastCommand('lastsave');
      expect(shared).toHaveLength(1);
      const id = /^id=(\d+) /.exec(shared[0])?.[1] as string;
      await waitFor('an AUTH on the shared connection', 5000, async () =>
        (await lastCommand('auth')).some((l) => l.startsWith(`id=${id} `)),
      );
      expect(refreshing.stderr()).toMatch(
        /shared connection to 127\.0\.0\.11:7001 re-authenticated with a fresh token/,
      );
      expect(await c.ask(cmd('ECHO', 'still'), lines(2))).toBe('$5\r\nstill\r\n');
      c.close();
      expect(refreshing.stderr()).not.toContain(description.password);
    } finally {
      expect(await refreshing.stop()).toBe(0);
    }
  });
});
