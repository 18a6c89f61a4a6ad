/**
 * Reads from replicas through smart mode, on the project's TLS cluster: --read-from replica sends
 * read-only commands to a replica of the key's master (with READONLY on its connection), a
 * client's READWRITE and READONLY switch that for its own connection, a replica that stops or
 * lags is skipped. Which node served a read is counted by the nodes themselves (INFO
 * commandstats), after each sequence was run against the nodes directly.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach, waitFor } from '../../scripts/lib/cluster.js';
import { hashSlot } from '../../src/topology/hash-slot.js';
import { askNode } from './helpers/node.js';
import { RawClient, nodeTarget, tunnelTarget } from './helpers/raw-client.js';
import { type RunningTunnel, seedArgs, startTunnel } from './helpers/tunnel.js';

const c = inject('cluster');
const SMART_PORT = 6405;
const STATUS_PORT = 6406;

/** The lag the tunnel measured for a node, as /status gives it. */
async function tunnelLag(i: number): Promise<number | null | undefined> {
  const status = (await (await fetch(`http://127.0.0.1:${STATUS_PORT}/status`)).json()) as {
    nodes: Array<{ node: string; lagSeconds?: number | null }>;
  };
  return status.nodes.find((n) => n.node === `${c.nodes[i].ip}:${c.nodes[i].port}`)?.lagSeconds;
}
let tunnel: RunningTunnel;

/** The cluster's nodes by role for `key`: its master's index and that master's replica's. */
async function nodesOf(key: string): Promise<{ master: number; replica: number }> {
  const slot = hashSlot(Buffer.from(key));
  const lines = (await askNode(c, ['CLUSTER', 'NODES'])).trim().split('\n');
  const fields = lines.map((l) => l.split(' '));
  const master = fields.find(
    (f) =>
      f[2].includes('master') &&
      f.slice(8).some((r) => {
        const [a, b] = r.split('-').map(Number);
        return slot >= a && slot <= (b ?? a);
      }),
  );
  const replica = fields.find((f) => f[3] === master?.[0]);
  const index = (f?: string[]): number => c.nodes.findIndex((n) => f?.[1].startsWith(`${n.ip}:${n.port}@`));
  return { master: index(master), replica: index(replica) };
}

/** GET calls each node has served since the last reset (-1 for a node not asked: `frozen`). */
async function getCalls(frozen = -1): Promise<number[]> {
  return Promise.all(
    c.nodes.map(async (_, i) => {
      if (i === frozen) return -1;
      const m = /cmdstat_get:calls=(\d+)/.exec(await askNode(c, ['INFO', 'commandstats'], i));
      return m ? Number(m[1]) : 0;
    }),
  );
}

/** Zeroes every node's command counts but `frozen`'s (a stopped process would never answer). */
async function resetStats(frozen = -1): Promise<void> {
  await Promise.all(
    c.nodes.map((_, i) => (i === frozen ? undefined : askNode(c, ['CONFIG', 'RESETSTAT'], i))),
  );
}

beforeAll(async () => {
  tunnel = await startTunnel(
    [
      ...seedArgs(c),
      '--mode',
      'smart',
      '--smart-port',
      String(SMART_PORT),
      '--read-from',
      'replica',
      '--max-replica-lag',
      '1',
      '--refresh-interval',
      '500',
      '--status-port',
      String(STATUS_PORT),
    ],
    { REDISCLI_AUTH: c.password },
  );
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

describe('smart mode, --read-from replica', () => {
  it('directly, a replica answers a read only after READONLY; through the tunnel, replicas serve reads', async () => {
    const key = 'rr:{a}';
    const { master, replica } = await nodesOf(key);
    expect(replica).toBeGreaterThanOrEqual(0);
    expect([0, 1]).toContain(await tunnelLag(replica)); // replicas acknowledge every second
    await askNode(c, ['SET', key, 'v'], master);
    await askNode(c, ['WAIT', '1', '2000'], master);
    const direct = await RawClient.connect(nodeTarget(c, replica));
    await direct.call('AUTH', c.user, c.password);
    expect(await direct.call('GET', key)).toEqual({ error: expect.stringMatching(/^MOVED \d+ /) });
    expect(await direct.call('READONLY')).toBe('OK');
    expect(await direct.call('GET', key)).toBe('v');
    direct.close();

    await resetStats();
    const client = await RawClient.connect(tunnelTarget(SMART_PORT));
    for (let i = 0; i < 20; i++) expect(await client.call('GET', key)).toBe('v');
    expect(await client.call('SET', key, 'w')).toBe('OK');
    const calls = await getCalls();
    expect(calls[replica]).toBe(20);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(20);
    expect((await askNode(c, ['GET', key], master)).trim()).toBe('w');

    // READWRITE: this client's reads go to the master; READONLY: back to replicas.
    await resetStats();
    expect(await client.call('READWRITE')).toBe('OK');
    for (let i = 0; i < 5; i++) await client.call('GET', key);
    expect(await client.call('READONLY')).toBe('OK');
    for (let i = 0; i < 3; i++) await client.call('GET', key);
    const after = await getCalls();
    expect([after[master], after[replica]]).toEqual([5, 3]);
    client.close();
  });

  it('a replica frozen (SIGSTOP) past --max-replica-lag is skipped: its master serves the reads at once', async () => {
    const key = 'rr:{b}';
    const { master, replica } = await nodesOf(key);
    await askNode(c, ['SET', key, 'v'], master);
    // Directly: a replica frozen with SIGSTOP stops acknowledging, and its master reports the lag.
    const pid = attach(c).nodes[replica].pid;
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor('the master to report the replica 2 s behind', 5000, async () => {
        const info = await askNode(c, ['INFO', 'replication'], master);
        const lag = new RegExp(
          `ip=${c.nodes[replica].ip},port=${c.nodes[replica].port},[^\\n]*lag=(\\d+)`,
        ).exec(info);
        return lag !== null && Number(lag[1]) >= 2;
      });
      // Within the lag bound (1 s) plus one refresh (0.5 s), the tunnel reads from the master.
      await waitFor('the tunnel to measure it', 3000, async () => ((await tunnelLag(replica)) ?? 0) >= 2);
      await resetStats(replica);
      const client = await RawClient.connect(tunnelTarget(SMART_PORT));
      for (let i = 0; i < 10; i++) expect(await client.callWithin(500, 'GET', key)).toBe('v');
      expect((await getCalls(replica))[master]).toBe(10);
      client.close();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor('the replica to catch up', 10_000, async () =>
      [0, 1].includes((await tunnelLag(replica)) ?? -1),
    );
  });

  it('a replica that stops: reads go to its master, with no error', async () => {
    const key = 'rr:{c}';
    const { master, replica } = await nodesOf(key);
    await askNode(c, ['SET', key, 'v'], master);
    const cluster = attach(c);
    await cluster.stopNode(replica);
    try {
      const client = await RawClient.connect(tunnelTarget(SMART_PORT));
      const replies = [];
      for (let i = 0; i < 20; i++) replies.push(await client.callWithin(2000, 'GET', key));
      expect(replies).toEqual(Array(20).fill('v'));
      client.close();
    } finally {
      await cluster.restartNode(replica);
    }
  });
});
