/**
 * WAIT counts the replicas that have the client's own writes, and holds no one else. The first
 * master's replica is stopped (SIGSTOP, by the PID the cluster scripts recorded) so it stops
 * acknowledging; each sequence runs on the node directly first.
 *
 * A node counts the replicas that acknowledged the client's writes: a client that never wrote,
 * or whose writes a WAIT already saw acknowledged, gets at once every replica that is caught up,
 * even with a timeout of 0. The tunnel puts its marker write before a WAIT only when the client
 * wrote since the last one, so those WAITs count as on the node. (Redis 7.0 also moves a client's
 * offset on a read, to the whole stream's; such a WAIT is not compared here.)
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

/**
 * Once every master's replica has acknowledged its master's whole replication stream (polled, 10 s
 * at most, which covers a replica still resyncing after an earlier test): a WAIT sends GETACK,
 * which the replica's answer does not count, so a replica is behind for up to a second after one,
 * by the node's own bytes. Every master, because the smart port asks each of them and answers
 * the least count.
 */
async function replicaCaughtUp(): Promise<void> {
  const clients = await Promise.all(description.nodes.map((_, i) => connect(nodeTarget(description, i))));
  try {
    const behind = async (): Promise<string[]> => {
      const late: string[] = [];
      for (const [i, c] of clients.entries()) {
        const info = String(await c.call('INFO', 'replication'));
        const master = /role:master[\s\S]*master_repl_offset:(\d+)/.exec(info)?.[1];
        if (master && !new RegExp(`slave0:[^\r\n]*state=online,offset=${master},`).test(info))
          late.push(`${description.nodes[i].ip}:${description.nodes[i].port}`);
      }
      return late;
    };
    let late: string[] = [];
    for (let i = 0; i < 200; i++) {
      late = await behind();
      if (late.length === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the replicas of ${late.join(', ')} did not catch up in 10 s`);
  } finally {
    for (const c of clients) c.close();
  }
}

/** Sends `commands` in one write, once the replica has caught up, and returns their replies. */
async function pipelined(target: RawTarget, commands: string[][]): Promise<Reply[]> {
  await replicaCaughtUp();
  const c = await connect(target);
  try {
    return await Promise.all(c.pipeline(commands));
  } finally {
    c.close();
  }
}

/** Sequences and what a node answers them (asserted on the node first). */
const NOTHING_NEW: Array<[string, (k: string) => string[][], Reply[]]> = [
  ['a client that never wrote', () => [['WAIT', '0', '0']], [1]],
  [
    'a client that only read',
    (k) => [
      ['GET', `${k}:none`],
      ['WAIT', '0', '0'],
    ],
    [null, 1],
  ],
  [
    'a second WAIT after the same write',
    (k) => [
      ['SET', k, 'v'],
      ['WAIT', '1', '2000'],
      ['WAIT', '0', '0'],
    ],
    ['OK', 1, 1],
  ],
];

describe('WAIT through the tunnel', () => {
  for (const [name, commands, expected] of NOTHING_NEW)
    it(`counts what a node counts with nothing new to wait for: ${name}`, async () => {
      for (const target of [nodeTarget(description, 0), tunnelTarget(pinnedPort), tunnelTarget(SMART_PORT)]) {
        // Redis 7.0 sets a connection's offset to the stream's after every command, the login
        // included, and the stream also moves on its own (a PING to the replicas every 10 s, a
        // key expiring): then the replica is behind the client for up to a second and a node
        // answers 0 too. So a sequence gets up to 3 tries; a tunnel that adds a write of its own
        // before the WAIT gets 0 every time.
        let got: Reply[] = [];
        for (let attempt = 1; attempt <= 3; attempt++) {
          got = await pipelined(target, commands(key));
          if (JSON.stringify(got) === JSON.stringify(expected)) break;
          console.log(`${name} on port ${target.port}, try ${attempt}: ${JSON.stringify(got)}`);
        }
        expect({ at: target.port, got }).toEqual({ at: target.port, got: expected });
      }
    });

  it('a write after a WAIT is waited for again: 0 once the replica is stopped', async () => {
    for (const target of [nodeTarget(description, 0), tunnelTarget(pinnedPort), tunnelTarget(SMART_PORT)]) {
      const c = await connect(target);
      try {
        expect(await c.call('SET', key, 'seen')).toBe('OK');
        expect(await c.call('WAIT', '1', '2000')).toBe(1);
        const after = await replicaStopped(async () => [
          await c.call('SET', key, 'unseen'),
          await c.call('WAIT', '0', '0'),
        ]);
        expect({ at: target.port, after }).toEqual({ at: target.port, after: ['OK', 0] });
      } finally {
        c.close();
      }
    }
  });

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
