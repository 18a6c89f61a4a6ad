/**
 * Client-side caching through smart mode: a RESP3 client with CLIENT TRACKING on gets an
 * invalidation for every key it read, from whichever master holds it, in every tracking mode, and
 * a flush-everything invalidation when the tunnel loses a node connection that tracked. Each
 * sequence runs on a node directly first (keys of that node only), then on the smart port with
 * keys on two masters.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { hashSlot, keyForSlot } from '../../src/topology/hash-slot.js';
import {
  RawClient,
  type RawTarget,
  type Reply,
  errorOf,
  nodeTarget,
  tunnelTarget,
} from './helpers/raw-client.js';
import { type RunningTunnel, startTunnel, seedArgs } from './helpers/tunnel.js';
import { firstNodeRange, tunnelClientOf } from './helpers/both-modes.js';
import { waitFor } from '../../scripts/lib/wait.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6388;
/** How long an invalidation may take to arrive: a node sends it within a millisecond or two. */
const PUSH_WAIT_MS = 2000;
let tunnel: RunningTunnel;
/** Two keys on the first master (for the node itself), and one on another master. */
let first: [string, string];
let other: string;
const run = `${process.pid}`;

const connect = tunnelClientOf(description);
const smart = (): RawTarget => tunnelTarget(SMART_PORT);
const node = (): RawTarget => nodeTarget(description, 0);

beforeAll(async () => {
  const own = await firstNodeRange(cluster, description);
  const elsewhere = (await cluster.slotRanges()).find((r) => r.ip !== own.ip || r.port !== own.port);
  if (!elsewhere) throw new Error('the cluster has one master');
  first = [keyForSlot(own.start, `track:${run}:a:`), keyForSlot(own.start + 1, `track:${run}:b:`)];
  other = keyForSlot(elsewhere.start, `track:${run}:c:`);
  tunnel = await startTunnel(
    [
      ...seedArgs(description),
      '--mode',
      'smart',
      '--smart-port',
      String(SMART_PORT),
      '--refresh-interval',
      '1000',
    ],
    {
      REDISCLI_AUTH: description.password,
    },
  );
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

/** The first master's replica, as a raw target (TLS, on the node directly). */
async function replicaOfFirst(): Promise<RawTarget> {
  const c = await connect(node());
  try {
    const replicas = ((await c.call('ROLE')) as Reply[])[2] as Reply[][];
    return { host: String(replicas[0][0]), port: Number(replicas[0][1]), caCert: description.caCert };
  } finally {
    c.close();
  }
}

/** A RESP3 client on `target` with tracking turned on by `on` (CLIENT TRACKING ON and options). */
async function tracker(target: RawTarget, ...on: string[]): Promise<RawClient> {
  const c = await connect(target);
  expect(errorOf(await c.call('HELLO', '3'))).toBe(null);
  expect(await c.call('CLIENT', 'TRACKING', 'ON', ...on)).toBe('OK');
  return c;
}

/** Sets each key from another connection on `target`. */
async function writeFrom(target: RawTarget, keys: string[]): Promise<void> {
  const w = await connect(target);
  try {
    for (const k of keys) expect(await w.call('SET', k, `v${Date.now()}`)).toBe('OK');
  } finally {
    w.close();
  }
}

/** The keys invalidated so far (null for a flush), once `count` invalidations came or time ran out. */
async function invalidated(
  c: RawClient,
  count: number,
  waitMs = PUSH_WAIT_MS,
): Promise<Array<string | null>> {
  const deadline = Date.now() + waitMs;
  const keys = (): Array<string | null> =>
    c.pushes
      .filter((p) => p[0] === 'invalidate')
      .flatMap((p) => (p[1] === null ? [null] : (p[1] as string[])));
  while (keys().length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // A moment more: anything beyond `count` would show up too.
  await new Promise((r) => setTimeout(r, 100));
  return keys().sort();
}

/** Reads each key (the reads a client caches). */
async function read(c: RawClient, keys: string[]): Promise<void> {
  for (const k of keys) expect(errorOf(await c.call('GET', k))).toBe(null);
}

describe('CLIENT TRACKING through smart mode', () => {
  it('default mode: an invalidation for every key read, from each master', async () => {
    for (const [target, keys] of [
      [node(), first],
      [smart(), [first[0], other]],
    ] as const) {
      const c = await tracker(target);
      try {
        await read(c, [...keys]);
        await writeFrom(target, [...keys]);
        expect(await invalidated(c, 2), `${target.port}`).toEqual([...keys].sort());
      } finally {
        c.close();
      }
    }
  });

  it('BCAST with a prefix: invalidations for keys never read, written on any master', async () => {
    const prefix = `track:${run}:`;
    for (const [target, keys] of [
      [node(), first],
      [smart(), [first[0], other]],
    ] as const) {
      const c = await tracker(target, 'BCAST', 'PREFIX', prefix);
      try {
        await writeFrom(target, [...keys]);
        expect(await invalidated(c, 2), `${target.port}`).toEqual([...keys].sort());
      } finally {
        c.close();
      }
    }
  });

  it('OPTIN and OPTOUT: CLIENT CACHING picks the next read, on whichever master serves it', async () => {
    for (const [target, keys] of [
      [node(), first],
      [smart(), [first[0], other]],
      [smart(), [other, first[0]]],
    ] as const) {
      for (const [mode, caching, tracked] of [
        ['OPTIN', 'YES', keys[0]],
        ['OPTOUT', 'NO', keys[1]],
      ] as const) {
        const c = await tracker(target, mode);
        try {
          // Pipelined, as client libraries send it: CACHING and the read it is for.
          const [ok, got] = c.pipeline([
            ['CLIENT', 'CACHING', caching],
            ['GET', keys[0]],
          ]);
          expect(await ok).toBe('OK');
          expect(errorOf(await got)).toBe(null);
          await read(c, [keys[1]]);
          await writeFrom(target, [...keys]);
          expect(await invalidated(c, 1), `${mode} on ${target.port}`).toEqual([tracked]);
        } finally {
          c.close();
        }
      }
    }
  });

  it('CLIENT CACHING is refused as a node refuses it when tracking is off or in the other mode', async () => {
    for (const target of [node(), smart()]) {
      const c = await connect(target);
      try {
        expect(errorOf(await c.call('CLIENT', 'CACHING', 'YES'))).toMatch(
          /^ERR CLIENT CACHING can be called only/,
        );
        expect(await c.call('CLIENT', 'TRACKING', 'ON', 'OPTOUT')).toBe('OK');
        expect(errorOf(await c.call('CLIENT', 'CACHING', 'YES'))).toMatch(
          /^ERR CLIENT CACHING YES is only valid/,
        );
      } finally {
        c.close();
      }
    }
  });

  it('a lost node connection that tracked: the node closes the client; the tunnel sends a flush and goes on', async () => {
    const killTrackers = async (): Promise<number> => {
      const operator = await connect(node());
      try {
        const list = String(await operator.call('CLIENT', 'LIST'));
        const ids = list
          .split('\n')
          .filter((l) => / flags=\S*t/.test(l) && l.includes(`user=${description.user}`))
          .map((l) => /id=(\d+)/.exec(l)?.[1] as string);
        for (const id of ids) expect(await operator.call('CLIENT', 'KILL', 'ID', id)).toBe(1);
        return ids.length;
      } finally {
        operator.close();
      }
    };
    const direct = await tracker(node());
    await read(direct, [first[0]]);
    expect(await killTrackers()).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(direct.closed).toBe(true);

    const c = await tracker(smart());
    try {
      await read(c, [first[0], other]);
      expect(await killTrackers()).toBe(1);
      expect(await invalidated(c, 1)).toEqual([null]);
      expect(c.closed).toBe(false);
      // The client goes on, tracked again on a new connection.
      c.pushes.length = 0;
      await read(c, [first[0]]);
      await writeFrom(smart(), [first[0]]);
      expect(await invalidated(c, 1)).toEqual([first[0]]);
    } finally {
      c.close();
    }
  });

  it('a failover: the tunnel flushes the client and tracks on the new master', async () => {
    const prefix = `track:${run}:fo:`;
    const key = keyForSlot(hashSlot(first[0]), prefix);
    const role = async (t: RawTarget): Promise<string> => {
      const c = await connect(t);
      try {
        return String(((await c.call('ROLE')) as Reply[])[0]);
      } finally {
        c.close();
      }
    };
    // A manual failover can time out on the node's side: it is asked again, three times at most.
    const failover = async (to: RawTarget): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const c = await connect(to);
        try {
          expect(await c.call('CLUSTER', 'FAILOVER')).toBe('OK');
        } finally {
          c.close();
        }
        try {
          return await waitFor('the failover', 6000, async () => (await role(to)) === 'master');
        } catch (e) {
          if (attempt === 3) throw e;
        }
      }
    };
    const replica = await replicaOfFirst();
    const direct = await tracker(node(), 'BCAST', 'PREFIX', prefix);
    const c = await tracker(smart(), 'BCAST', 'PREFIX', prefix);
    try {
      await failover(replica);
      // The tunnel sees the roles change within its refresh interval, and says so with a flush.
      expect(await invalidated(c, 1, 5000)).toEqual([null]);
      c.pushes.length = 0;
      direct.pushes.length = 0;
      await writeFrom(smart(), [key]);
      // The client directly on the old master, a replica now, hears of the write as that replica
      // applies it.
      const directly = await invalidated(direct, 1);
      console.log(`after the failover, directly on the old master: ${JSON.stringify(directly)}`);
      expect(directly).toEqual([key]);
      // Through the tunnel: from the old master as well, and from the new master, where the tunnel
      // turned tracking on when it saw the roles change (a second invalidation of a key is harmless).
      const got = await invalidated(c, 2);
      console.log(`after the failover, through the tunnel: ${JSON.stringify(got)}`);
      expect(got).toEqual([key, key]);
    } finally {
      direct.close();
      c.close();
      await failover(node());
    }
  });

  it('REDIRECT (RESP2 tracking) is refused on the smart port with the reason', async () => {
    const c = await connect(smart());
    try {
      const got: Reply = await c.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', '1');
      expect(errorOf(got)).toMatch(
        /^ERR redis-cluster-tunnel smart mode does not serve CLIENT TRACKING with REDIRECT/,
      );
    } finally {
      c.close();
    }
  });
});
