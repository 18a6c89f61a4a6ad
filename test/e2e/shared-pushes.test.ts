/**
 * Push and attribute frames on the connections clients share: never taken for a reply. A real node
 * sends a push to the connection another client named in CLIENT TRACKING … REDIRECT (here, the id a
 * client's HELLO 3 reply gave, which through the tunnel is a shared connection's), and an attribute
 * before the reply to DEBUG PROTOCOL attrib. Each sequence runs on a node directly first.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RawTarget, type Reply, field, nodeTarget, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel } from './helpers/tunnel.js';
import { firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6392;
let tunnel: RunningTunnel;
let pinnedPort: number;
let key: string;

const connect = tunnelClientOf(description);

beforeAll(async () => {
  key = keyForSlot((await firstNodeRange(cluster, description)).start, 'pushes:');
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT));
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

/**
 * A (RESP3) is the REDIRECT target of B's tracking, and B has read the key. A then pipelines a
 * write of that key and two more requests: the node sends the invalidation to A's connection in the
 * middle of those replies (ahead of the write's own). A bystander D pings after. Returns A's
 * replies, how many pushes A got, and D's reply.
 */
async function redirectedInvalidation(target: RawTarget): Promise<{ a: Reply[]; pushes: number; d: Reply }> {
  const [a, b, d] = await Promise.all([connect(target), connect(target), connect(target)]);
  try {
    const id = field(await a.call('HELLO', '3'), 'id');
    expect(typeof id).toBe('number');
    expect(await b.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id))).toBe('OK');
    await b.call('GET', key);
    const pipelined = a.pipeline([['SET', key, 'changed'], ['PING'], ['ECHO', 'one']]);
    const replies = await within(Promise.all(pipelined), 2000);
    const bystander = await d.callWithin(2000, 'PING');
    return { a: replies === 'timeout' ? ['timeout'] : replies, pushes: a.pushes.length, d: bystander };
  } finally {
    for (const x of [a, b, d]) x.close();
  }
}

describe('pushes and attributes on shared connections', () => {
  it("a tracking push sent to a shared connection is nobody's reply: three requests, three replies in order", async () => {
    const node = await redirectedInvalidation(nodeTarget(description, 0));
    expect(node).toEqual({ a: ['OK', 'PONG', 'one'], pushes: 1, d: 'PONG' });
    // Through the tunnel the id is a shared connection's: the push goes to no client, and no reply is lost.
    const pinned = await redirectedInvalidation(tunnelTarget(pinnedPort));
    expect(pinned).toEqual({ a: ['OK', 'PONG', 'one'], pushes: 0, d: 'PONG' });
  });

  it('an attribute comes with the reply it precedes, and the replies after it stay paired', async () => {
    const run = async (target: RawTarget): Promise<{ replies: Reply[]; attributes: number }> => {
      const c = await connect(target);
      try {
        await c.call('HELLO', '3');
        const replies = await Promise.all(
          c.pipeline([
            ['DEBUG', 'PROTOCOL', 'attrib'],
            ['PING'],
            ['DEBUG', 'PROTOCOL', 'attrib'],
            ['ECHO', 'x'],
          ]),
        );
        return { replies, attributes: c.attributes.length };
      } finally {
        c.close();
      }
    };
    const node = await run(nodeTarget(description, 0));
    expect(node.attributes).toBe(2);
    expect(node.replies.slice(1)).toEqual(['PONG', node.replies[2], 'x']);
    expect(await run(tunnelTarget(pinnedPort))).toEqual(node);
    expect(await run(tunnelTarget(SMART_PORT))).toEqual(node);
  });
});
