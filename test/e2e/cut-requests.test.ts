/**
 * A client's requests reach the tunnel in whatever pieces TCP makes of them. Pipelines of mixed
 * commands (helpers/cut-pipelines.ts: reads and writes with inline lines and a 20,000-byte value,
 * connection state, pub/sub, scripts, tracking, RESP3 from mid-stream) are cut at seeded random
 * places, mostly among the small requests, each piece a few milliseconds after the last, and sent
 * to a node directly (which proves what a node answers), then to the pinned listener and to the
 * smart port. Every cut gets the node's replies, in order, and its pushes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RawTarget, type Reply, nodeTarget, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel } from './helpers/tunnel.js';
import { firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';
import { type Pipeline, cutsFor, pipelinesFor } from './helpers/cut-pipelines.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6412;
/** Bounds: seeds (each one cut of the pipeline), cuts per pipeline, the gap between pieces. */
const SEEDS = 12;
const CUTS = 16;
const GAP_MS = 3;
let tunnel: RunningTunnel;
let pinnedPort: number;
let pipelines: Pipeline[];

const connect = tunnelClientOf(description);
/** A node directly (which proves what a node answers), then the tunnel's two ports. */
const targets: Array<[string, () => RawTarget]> = [
  ['a node directly', () => nodeTarget(description)],
  ['the pinned listener', () => tunnelTarget(pinnedPort)],
  ['the smart port', () => tunnelTarget(SMART_PORT)],
];

beforeAll(async () => {
  const own = await firstNodeRange(cluster, description);
  // One hash tag in the first node's slots: the node serves every key, multi-key commands included.
  pipelines = pipelinesFor(keyForSlot(own.start + 3, 'cut'));
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT));
});

afterAll(async () => {
  const code = await tunnel?.stop();
  if (code !== 0) console.log(`STDERR ${tunnel.stderr().slice(-3000)}`);
  expect(code).toBe(0);
});

async function cutPipeline(
  target: RawTarget,
  seed: number,
  p: Pipeline,
): Promise<{ replies: Array<Reply | 'timeout'>; pushes: Reply[][] }> {
  const client = await connect(target);
  const replies = client.pipelineCut(p.commands, cutsFor(p.commands, seed, CUTS), GAP_MS);
  const got = await Promise.all(replies.map((r) => within(r, 10_000)));
  // A push may trail the last reply by a moment on its way through the tunnel.
  const wanted = p.pushes?.length ?? 0;
  for (let waited = 0; client.pushes.length < wanted && waited < 1000; waited += 20)
    await new Promise((r) => setTimeout(r, 20));
  client.close();
  return { replies: got, pushes: client.pushes };
}

/** Runs `p` cut by `seed` on `target`, and checks its replies (and pushes, when given). */
async function expectCut(target: RawTarget, seed: number, p: Pipeline, where: string): Promise<void> {
  const { replies, pushes } = await cutPipeline(target, seed, p);
  const label = `${where}, ${p.name}, seed ${seed}`;
  expect(replies.map(p.compared ?? ((r) => r)), label).toEqual(p.expected);
  if (p.pushes) expect(pushes, label).toEqual(p.pushes);
}

describe('requests cut into pieces, as TCP may deliver them', () => {
  for (const [where, target] of targets) {
    it(`${where}: every cut of each pipeline gets the node's replies, in order`, async () => {
      for (const p of pipelines)
        for (let seed = 1; seed <= SEEDS; seed++) await expectCut(target(), seed, p, where);
    });
  }
});

describe('requests cut into pieces, keys over every master', () => {
  // The smart port's own work: no one node serves these keys, so the replies asked for follow from
  // the writes (and the node's answers to each kind of command are asserted above).
  it('the smart port: single-key requests, a split MGET and DEL, cut anywhere, get every reply in order', async () => {
    // Each master's widest range (other tests move slots about), four keys in each.
    const widest = new Map<number, { start: number; end: number }>();
    for (const r of await cluster.slotRanges()) {
      const w = widest.get(r.port);
      if (!w || r.end - r.start > w.end - w.start) widest.set(r.port, r);
    }
    expect(widest.size).toBe(3);
    const keys = [...widest.values()].flatMap((r, m) =>
      Array.from({ length: 4 }, (_, i) => keyForSlot(r.start + i, `all${m}:`)),
    );
    const p: Pipeline = {
      name: 'every master',
      commands: [
        ['DEL', ...keys],
        ...keys.map((k, i) => ['SET', k, `v${i}`]),
        ...keys.map((k) => ['GET', k]),
        ['MGET', ...keys],
        ...keys.map((k) => ['APPEND', k, '!']),
        ['DEL', ...keys],
      ],
      expected: [0, ...keys.map(() => 'OK'), ...keys.map((_, i) => `v${i}`), keys.map((_, i) => `v${i}`)],
    };
    p.expected.push(...keys.map((_, i) => `v${i}!`.length), keys.length);
    for (let seed = 1; seed <= SEEDS; seed++)
      await expectCut(tunnelTarget(SMART_PORT), seed, p, 'the smart port');
  });
});

describe('an inline line cut where a reused read buffer would change its name', () => {
  // "SUBSCRIBE" alone, then " GET\r\n": read into one buffer reused for every read, a view of the
  // first piece would show the second piece's bytes (" GET\r\nIBE"), and the line would parse as
  // a GET the shared connection may take, while the node reads SUBSCRIBE GET.
  const line = Buffer.from('SUBSCRIBE GET\r\n');
  for (const [where, target] of targets) {
    it(`${where}: the client is subscribed, and another client's GET and PING are answered as plain ones`, async () => {
      const key = keyForSlot((await firstNodeRange(cluster, description)).start + 5, 'cut:inline:');
      const subscriber = await connect(target());
      const [confirmed] = subscriber.pipelineCut([line], [9], 30);
      expect(await within(confirmed, 5000)).toEqual(['subscribe', 'GET', 1]);
      const other = await connect(target());
      expect(await other.callWithin(5000, 'GET', key)).toBeNull();
      expect(await other.callWithin(5000, 'PING')).toBe('PONG');
      subscriber.close();
      other.close();
    });
  }
});
