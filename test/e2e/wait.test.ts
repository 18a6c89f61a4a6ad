/**
 * WAIT counts the replicas that have the client's own writes, and holds no one else. The first
 * master's replica is stopped (SIGSTOP, by the PID the cluster scripts recorded) so it stops
 * acknowledging; each sequence runs on the node directly first.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RawTarget, type Reply, nodeTarget, tunnelTarget } from './helpers/raw-client.js';
import { type RunningTunnel } from './helpers/tunnel.js';
import { firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';
import { type Held, timeBystanders } from './helpers/held.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6394;
const WAIT_MS = 800;
let tunnel: RunningTunnel;
let pinnedPort: number;
let key: string;
/** The PID of the first master's replica. */
let replicaPid: number;

const connect = tunnelClientOf(description);

beforeAll(async () => {
  key = keyForSlot((await firstNodeRange(cluster, description)).start, 'wait:');
  const c = await connect(nodeTarget(description, 0));
  const role = (await c.call('ROLE')) as Reply[];
  c.close();
  const replicas = role[2] as Reply[][];
  expect(replicas.length).toBe(1);
  const replica = cluster.nodes.find(
    (n) => n.ip === replicas[0][0] && String(n.port) === String(replicas[0][1]),
  );
  if (!replica?.pid) throw new Error(`no PID for the replica ${JSON.stringify(replicas[0])}`);
  replicaPid = replica.pid;
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT));
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

/** Runs `body` with the replica stopped; it always goes on again. */
async function replicaStopped<T>(body: () => Promise<T>): Promise<T> {
  process.kill(replicaPid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    process.kill(replicaPid, 'SIGCONT');
  }
}

/** A write, then WAIT 1 with the replica stopped: the reply and how long it took. */
async function waitAfterWrite(target: RawTarget): Promise<{ reply: Reply; ms: number }> {
  const c = await connect(target);
  try {
    expect(await c.call('SET', key, 'before')).toBe('OK');
    return await replicaStopped(async () => {
      expect(await c.call('SET', key, 'unreplicated')).toBe('OK');
      const started = Date.now();
      const reply = await c.call('WAIT', '1', String(WAIT_MS));
      return { reply, ms: Date.now() - started };
    });
  } finally {
    c.close();
  }
}

/** While one client's WAIT 2 (never met: one replica each) runs, how long others' GETs take. */
const bystanders = (waiter: RawTarget, others: RawTarget[]): Promise<Held> =>
  timeBystanders(connect, key, waiter, others, (call) => call('WAIT', '2', String(WAIT_MS)));

describe('WAIT through the tunnel', () => {
  it("counts only the replicas that have the client's writes: 0 with the replica stopped, after the timeout", async () => {
    for (const target of [nodeTarget(description, 0), tunnelTarget(pinnedPort), tunnelTarget(SMART_PORT)]) {
      const got = await waitAfterWrite(target);
      console.log(
        `WAIT 1 ${WAIT_MS} with the replica stopped on ${target.host}:${target.port}: ${JSON.stringify(got)}`,
      );
      expect(got.reply).toBe(0);
      expect(got.ms).toBeGreaterThanOrEqual(WAIT_MS - 50);
    }
  });

  it('one client waiting holds no other client', async () => {
    const node = await bystanders(nodeTarget(description, 0), [nodeTarget(description, 0)]);
    expect(node.reply).toBe(1);
    expect(node.slowestMs).toBeLessThan(200);
    for (const waiter of [tunnelTarget(pinnedPort), tunnelTarget(SMART_PORT)]) {
      const got = await bystanders(waiter, [tunnelTarget(pinnedPort), tunnelTarget(SMART_PORT)]);
      console.log(`bystanders of a WAIT on ${waiter.port}: ${JSON.stringify(got)}`);
      expect(got.reply).toBe(1);
      expect(got.slowestMs).toBeLessThan(200);
    }
  });
});
