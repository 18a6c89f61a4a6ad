/**
 * A client the node holds holds no one else. One client's write is held by CLIENT PAUSE WRITE (as
 * a manual failover's pause holds writes), or its BLPOP waits for data; meanwhile other clients'
 * reads on the same node are timed. Each sequence runs on the node directly first, to prove what a
 * node does, then through the pinned port and the smart port.
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
const SMART_PORT = 6397;
const PAUSE_MS = 1500;
/** How long a bystander's GET may take: a node answers in about a millisecond. */
const BYSTANDER_MS = 200;
let tunnel: RunningTunnel;
let pinnedPort: number;
let key: string;

const connect = tunnelClientOf(description);

beforeAll(async () => {
  const { start } = await firstNodeRange(cluster, description);
  key = keyForSlot(start, 'held:');
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT));
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

/** whileHeld with this file's clients and key. */
const whileHeld = (
  holder: RawTarget,
  others: RawTarget[],
  hold: (call: (...args: string[]) => Promise<Reply>) => Promise<Reply>,
): Promise<Held> => timeBystanders(connect, key, holder, others, hold);

/** A write while the node pauses writes (CLIENT PAUSE … WRITE, sent to the node by an operator). */
async function pausedWrite(call: (...args: string[]) => Promise<Reply>): Promise<Reply> {
  const operator = await connect(nodeTarget(description, 0));
  try {
    expect(await operator.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE')).toBe('OK');
    return await call('SET', key, 'written-after-the-pause');
  } finally {
    operator.close();
  }
}

const blockingPop = (call: (...args: string[]) => Promise<Reply>): Promise<Reply> =>
  call('BLPOP', `{${key}}:list`, String(PAUSE_MS / 1000));

const everyTunnelPort = (): RawTarget[] => [tunnelTarget(pinnedPort), tunnelTarget(SMART_PORT)];

describe('a client the node holds holds no one else', () => {
  for (const [what, hold, reply] of [
    ['a write held by CLIENT PAUSE WRITE', pausedWrite, 'OK'],
    ['BLPOP on an empty list', blockingPop, null],
  ] as const) {
    it(`${what}: other clients' reads on that node are answered at once`, async () => {
      const direct = await whileHeld(nodeTarget(description, 0), [nodeTarget(description, 0)], hold);
      console.log(`${what}, on the node: ${JSON.stringify(direct)}`);
      expect(direct.reply).toEqual(reply);
      expect(direct.heldMs).toBeGreaterThanOrEqual(PAUSE_MS - 100);
      expect(direct.slowestMs).toBeLessThan(BYSTANDER_MS);
      for (const holder of everyTunnelPort()) {
        const got = await whileHeld(holder, everyTunnelPort(), hold);
        console.log(`${what}, held on ${holder.port}: ${JSON.stringify(got)}`);
        expect(got.reply).toEqual(reply);
        expect(got.heldMs).toBeGreaterThanOrEqual(PAUSE_MS - 100);
        expect(got.slowestMs).toBeLessThan(BYSTANDER_MS);
      }
    });
  }

  it("a client's read after its own held write waits for the write, as on its own connection", async () => {
    for (const target of [nodeTarget(description, 0), ...everyTunnelPort()]) {
      const c = await connect(target);
      const operator = await connect(nodeTarget(description, 0));
      try {
        expect(await c.call('SET', key, 'before')).toBe('OK');
        expect(await operator.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE')).toBe('OK');
        const [set, get] = c.pipeline([
          ['SET', key, 'after'],
          ['GET', key],
        ]);
        expect(await set).toBe('OK');
        expect(await get).toBe('after');
      } finally {
        c.close();
        operator.close();
      }
    }
  });
});
