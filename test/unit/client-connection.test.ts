/**
 * ClientConnection, how both modes take a client: over a real loopback socket pair, its bytes
 * are counted and handed on (lent or not), the local-password gate answers before anything reaches
 * the mode, and a client that leaves replies unread past the output bound is closed with one warn
 * line and counted.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnection, type ClientHandlers } from '../../src/client/connection.js';
import { recordedLog } from '../helpers/recorded-log.js';
import { TunnelStats } from '../../src/net/stats.js';
import { LocalAuth } from '../../src/protocol/local-auth.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A client socket, and the tunnel's side of it as a ClientConnection. */
async function pair(options: { localAuth?: LocalAuth; limit?: number; lend: boolean }) {
  const stats = new TunnelStats();
  const { log, lines: warnings } = recordedLog();
  const reads: string[] = [];
  let closed = false;
  const handlers: ClientHandlers = {
    read: (chunk) => void reads.push(chunk.toString()), // a lent chunk is read during the call
    failed: () => {},
    ended: () => {},
    closed: () => (closed = true),
  };
  const ctx = {
    stats,
    localAuth: options.localAuth ?? null,
    requestLimits: () => ({}),
    clientOutputLimit: options.limit ?? 0,
  };
  const accepted = new Promise<ClientConnection>((resolve) => {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
      const c = new ClientConnection(socket, ctx, log, handlers, options.lend);
      c.socket.resume();
      resolve(c);
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
  });
  const server = servers[servers.length - 1];
  await new Promise((r) => server.once('listening', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const received: Buffer[] = [];
  client.on('data', (b: Buffer) => received.push(b));
  client.on('error', () => {});
  const connection = await accepted;
  return { connection, client, stats, reads, warnings, received, isClosed: () => closed };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('ClientConnection', () => {
  for (const lend of [true, false]) {
    it(`hands the client's bytes on and counts them both ways (${lend ? 'lent' : 'not lent'})`, async () => {
      const { connection, client, stats, reads, received } = await pair({ lend });
      expect(connection.reads !== null).toBe(lend);
      client.write('*1\r\n$4\r\nPING\r\n');
      await until(() => reads.length > 0);
      expect(reads).toEqual(['*1\r\n$4\r\nPING\r\n']);
      expect(connection.write(Buffer.from('+PONG\r\n'))).toBe(true);
      await until(() => received.length > 0);
      expect(Buffer.concat(received).toString()).toBe('+PONG\r\n');
      expect([connection.bytesIn, connection.bytesOut]).toEqual([14, 7]);
      expect([stats.bytesToCluster, stats.bytesToClients]).toEqual([14, 7]);
      client.destroy();
    });
  }

  it('with a local password, answers until AUTH and passes nothing before it', async () => {
    const { client, reads, received } = await pair({ lend: true, localAuth: new LocalAuth('pw') });
    client.write('GET a\r\nAUTH wrong\r\n');
    await until(() => Buffer.concat(received).toString().includes('WRONGPASS'));
    client.write('AUTH pw\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n');
    await until(() => reads.length > 0);
    expect(Buffer.concat(received).toString()).toBe(
      '-NOAUTH Authentication required.\r\n' +
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n' +
        '+OK\r\n',
    );
    expect(reads).toEqual(['*2\r\n$3\r\nGET\r\n$1\r\na\r\n']);
    client.destroy();
  });

  it('closes a client that leaves replies unread past the bound, with one warn line', async () => {
    const limit = 1024 * 1024;
    const { connection, client, stats, warnings, isClosed } = await pair({ lend: true, limit });
    client.pause(); // reads nothing
    // A mode stops at the first false; this writes on, as a node's replies keep coming.
    const taken: boolean[] = [];
    for (let i = 0; i < 64 && !connection.socket.destroyed; i++)
      taken.push(connection.write(Buffer.alloc(256 * 1024, 'x')));
    expect(connection.socket.destroyed).toBe(true);
    expect(taken[taken.length - 1]).toBe(false);
    await until(isClosed);
    expect(isClosed()).toBe(true);
    expect(stats.errors.get('output-limit')).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`over --client-output-limit (${limit})`);
    client.destroy();
  });
});
