/**
 * The warm pool's rules, with a fake connector (named so): it hands out real, unconnected sockets
 * and records the AUTH each open was given, so the tests can count and age connections without a
 * cluster. The pool's use with a real cluster is in test/e2e/pool.test.ts.
 */
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Connector, OpenNode } from '../../src/net/connector.js';
import { WarmPool } from '../../src/upstream/warm-pool.js';
import type { SocketReads } from '../../src/net/socket-reads.js';
import { createLogger } from '../../src/log.js';
import type { NodeTarget } from '../../src/topology/types.js';

const target: NodeTarget = {
  host: '127.0.0.11',
  port: 7001,
  label: '127.0.0.11:7001',
  tlsName: '127.0.0.11',
};
const log = createLogger('error', 'text');

/** A fake connector: opens resolve on the next tick with a socket that is never connected. */
function fakeConnector(fail = false): {
  connector: Connector;
  opened: Array<{ auth: string; socket: net.Socket }>;
} {
  const opened: Array<{ auth: string; socket: net.Socket }> = [];
  const connector = {
    open: async (_t: NodeTarget, auth: Buffer | null, reads?: SocketReads): Promise<OpenNode> => {
      await new Promise((r) => setImmediate(r));
      if (fail) throw new Error('connection refused');
      const socket = new net.Socket();
      opened.push({ auth: auth?.toString() ?? '', socket });
      return { socket, pending: null, reads: reads ?? null };
    },
  } as unknown as Connector;
  return { connector, opened };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('the warm pool', () => {
  it('keeps `size` connections per node, hands them out once each, and refills', async () => {
    const { connector, opened } = fakeConnector();
    const pool = new WarmPool(connector, () => Buffer.from('AUTH a'), 2, log);
    pool.fill(target);
    await settle();
    expect(pool.idleCount).toBe(2);
    const a = pool.take(target);
    const b = pool.take(target);
    expect(a && b && a.socket !== b.socket).toBe(true);
    expect(pool.take(target)).toBeNull(); // none ready: the caller opens its own
    await settle();
    expect(pool.idleCount).toBe(2);
    expect(opened.length).toBeLessThanOrEqual(5);
    pool.close();
  });

  it('never holds more than its bound, whatever the storm of takes', async () => {
    const { connector, opened } = fakeConnector();
    const counts = { hits: 0, misses: 0 };
    const pool = new WarmPool(connector, () => null, 3, log, counts);
    pool.fill(target);
    for (let i = 0; i < 1000; i++) pool.take(target);
    await settle();
    expect(pool.idleCount).toBe(3);
    // Every take asked for a refill, but opening + idle never passed 3: three opens in all.
    expect(opened.length).toBe(3);
    expect(counts.misses).toBe(1000);
    pool.close();
  });

  it('a credential refresh replaces what authenticated with the old one', async () => {
    const { connector, opened } = fakeConnector();
    let auth = 'AUTH old';
    const pool = new WarmPool(connector, () => Buffer.from(auth), 2, log);
    pool.fill(target);
    await settle();
    auth = 'AUTH new';
    pool.refreshCredentials();
    await settle();
    expect(opened.filter((o) => o.auth === 'AUTH old').every((o) => o.socket.destroyed)).toBe(true);
    const taken = pool.take(target) as OpenNode;
    expect(opened.find((o) => o.socket === taken.socket)?.auth).toBe('AUTH new');
    pool.close();
  });

  it('a node that leaves is drained; a node that refuses is not retried in a loop', async () => {
    const { connector, opened } = fakeConnector();
    const pool = new WarmPool(connector, () => null, 2, log);
    pool.fill(target);
    await settle();
    pool.drain(target);
    expect(pool.idleCount).toBe(0);
    expect(opened.every((o) => o.socket.destroyed)).toBe(true);
    expect(pool.take(target)).toBeNull();

    const down = fakeConnector(true);
    const refused = new WarmPool(down.connector, () => null, 2, log);
    refused.fill(target);
    await settle();
    for (let i = 0; i < 100; i++) refused.take(target);
    await settle();
    expect(refused.idleCount).toBe(0); // failed opens: nothing pooled, and no retry within a second
    refused.close();
  });

  it('size 0: off', () => {
    const { connector, opened } = fakeConnector();
    const pool = new WarmPool(connector, () => null, 0, log);
    pool.fill(target);
    expect(pool.take(target)).toBeNull();
    expect(opened).toHaveLength(0);
  });
});
