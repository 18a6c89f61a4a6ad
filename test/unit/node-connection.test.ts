/**
 * Every kind of connection to a node answers the same three questions (see NodeConnection): its
 * node, whether it still works, and close. The node is a fake (named so): a loopback TCP server
 * that never answers, so whatever waits is still waiting when the connection closes. The warm
 * pool's connections are closed through the pool (test/unit/pool.test.ts).
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector } from '../../src/net/connector.js';
import { NodeStats } from '../../src/net/node-stats.js';
import { SocketReads } from '../../src/net/socket-reads.js';
import { TunnelStats } from '../../src/net/stats.js';
import { OwnLink } from '../../src/pinned/own-link.js';
import type { NodeEntry } from '../../src/topology/node-table.js';
import type { NodeTarget } from '../../src/topology/types.js';
import type { NodeConnection } from '../../src/upstream/node-connection.js';
import { Upstream } from '../../src/upstream/upstream.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function silentNode(): Promise<NodeTarget> {
  const server = net.createServer(() => {});
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { host: '127.0.0.1', port, label: `127.0.0.1:${port}`, tlsName: '127.0.0.1' };
}

async function connect(target: NodeTarget): Promise<net.Socket> {
  const socket = net.connect({ host: target.host, port: target.port });
  await new Promise((r) => socket.once('connect', r));
  return socket;
}

/** The three questions, asked of a connection whose close is observed by `closed`. */
async function closes(c: NodeConnection, target: NodeTarget, closed: Promise<string>): Promise<string> {
  expect([c.target, c.broken]).toEqual([target, false]);
  c.close();
  const how = await closed;
  expect(c.broken).toBe(true);
  return how;
}

describe('a connection to a node, of each kind', () => {
  it('Upstream (shared, or a smart client’s own): close fails what waits on it, with the reason', async () => {
    const target = await silentNode();
    const connector = {
      open: async (t: NodeTarget) => ({ socket: await connect(t), pending: null, reads: null }),
    } as unknown as Connector;
    const entry = { node: { id: 'node-a', role: 'master' }, target } as unknown as NodeEntry;
    const u = new Upstream(
      entry,
      { connector, auth: () => null, stats: new TunnelStats() },
      2,
      () => {},
      () => {},
    );
    const closed = new Promise<string>((resolve) =>
      u.send(Buffer.from('*1\r\n$4\r\nPING\r\n'), (frame, failure) => resolve(`${frame} ${failure}`)),
    );
    await new Promise((r) => setTimeout(r, 20)); // open, and the PING written
    expect(await closes(u, target, closed)).toBe('null closed');
  });

  it('OwnLink (a pinned client’s own): close ends the socket, and the client is told', async () => {
    const target = await silentNode();
    const socket = await connect(target);
    const told: string[] = [];
    const link = new OwnLink(
      { socket, pending: null, reads: new SocketReads() },
      {
        reply: () => told.push('reply'),
        fail: () => told.push('fail'),
        drain: () => {},
        end: () => told.push('end'),
        error: () => told.push('error'),
        close: () => told.push('close'),
      },
      { target, labels: [], stats: new NodeStats(), counted: 0, demoted: null },
    );
    const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(told.join())));
    expect(await closes(link, target, closed)).toBe('close');
  });
});
