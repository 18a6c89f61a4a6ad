/**
 * The warm pool on the project's real TLS cluster: new clients take an authenticated upstream at
 * once, no client ever sees another's connection state, and the pool stays within its bound under
 * a storm of connections.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sleep, waitFor } from '../../scripts/lib/cluster.js';
import { type RunningTunnel, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const STATUS = 9189;
let tunnel: RunningTunnel;

interface PoolStatus {
  hits: number;
  misses: number;
  idle: number;
}

async function pool(): Promise<PoolStatus> {
  return ((await (await fetch(`http://127.0.0.1:${STATUS}/status`)).json()) as { pool: PoolStatus }).pool;
}

/** One fresh connection to the seed listener: sends `bytes`, resolves with what came back by `until`. */
function talk(bytes: string, until: (reply: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: 7001 }, () => s.write(bytes));
    let reply = '';
    s.setTimeout(10_000, () => s.destroy(new Error(`no full reply to ${JSON.stringify(bytes)}: ${reply}`)));
    s.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (until(reply)) {
        s.destroy();
        resolve(reply);
      }
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  tunnel = await startTunnel([...seedArgs(description), '--pool', '2', '--status-port', String(STATUS)], {
    REDISCLI_AUTH: description.password,
  });
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

describe('the warm pool', () => {
  it('holds two authenticated connections per node, and new clients that need their own take them', async () => {
    await waitFor('12 warm connections', 10_000, async () => (await pool()).idle === 12);
    const before = await pool();
    for (let i = 0; i < 50; i++) {
      // CLIENT needs a connection of its own: a plain PING would take the shared one.
      expect(await talk('CLIENT GETNAME\r\n', (r) => r.endsWith('\r\n'))).toBe('$-1\r\n');
      await sleep(20); // time for the refill: then every client finds one ready
    }
    const after = await pool();
    expect(after.hits - before.hits).toBe(50);
    expect(after.misses - before.misses).toBe(0);
  });

  it('no client inherits another: names and ids are fresh on every new connection', async () => {
    const first = await talk('CLIENT SETNAME pooled-first\r\nCLIENT ID\r\n', (r) => /:\d+\r\n$/.test(r));
    const firstId = Number(/:(\d+)/.exec(first)?.[1]);
    const ids = new Set<number>([firstId]);
    for (let i = 0; i < 10; i++) {
      const r = await talk('CLIENT GETNAME\r\nCLIENT ID\r\n', (x) => /:\d+\r\n$/.test(x));
      expect(r.startsWith('$-1\r\n'), r).toBe(true);
      ids.add(Number(/:(\d+)/.exec(r)?.[1]));
      await sleep(20);
    }
    expect(ids.size).toBe(11);
  });

  it('a storm of 300 concurrent clients that need their own: every one answered, the pool never above its bound', async () => {
    let highest = 0;
    let watching = true;
    const watch = (async () => {
      for (let i = 0; watching && i < 200; i++) {
        highest = Math.max(highest, (await pool()).idle);
        await sleep(10);
      }
    })();
    const replies = await Promise.all(
      Array.from({ length: 300 }, () => talk('CLIENT GETNAME\r\n', (r) => r.endsWith('\r\n'))),
    );
    watching = false;
    await watch;
    expect(replies.every((r) => r === '$-1\r\n')).toBe(true);
    expect(highest).toBeLessThanOrEqual(12);
    await waitFor('the pool to refill', 10_000, async () => (await pool()).idle === 12);
  });
});
