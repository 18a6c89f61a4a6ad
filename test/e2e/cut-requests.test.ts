/**
 * A client's requests reach the tunnel in whatever pieces TCP makes of them. One pipeline of
 * mixed commands (single-key reads and writes, multi-key ones, inline lines, a 20,000-byte value)
 * is cut at seeded random places, mostly among the small requests, each piece a few milliseconds
 * after the last, and sent to a node directly (which proves what a node answers), then to the
 * pinned listener and to the smart port. Every cut gets the node's replies, in order.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RawTarget, type Reply, nodeTarget, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel } from './helpers/tunnel.js';
import { firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';
import { seeded as random } from '../helpers/seeded.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6412;
/** Bounds: seeds (each one cut of the pipeline), cuts per pipeline, the gap between pieces. */
const SEEDS = 12;
const CUTS = 16;
const GAP_MS = 3;
const VALUE_BYTES = 20_000;
let tunnel: RunningTunnel;
let pinnedPort: number;
/** A pipeline to cut: its commands (bytes: an inline line) and the replies a node gives them. */
interface Pipeline {
  name: string;
  commands: Array<string[] | Buffer>;
  expected: Reply[];
  /** What of a reply is compared (HELLO's carries the connection's own id). */
  compared?: (reply: Reply | 'timeout') => Reply | 'timeout';
  /** The pushes the client gets (RESP3), once every reply is in; when not given, not compared. */
  pushes?: Reply[][];
}

/** Of a HELLO reply (a map in RESP3, a flat array in RESP2), its protocol; any other reply as it is. */
function helloProto(reply: Reply | 'timeout'): Reply | 'timeout' {
  if (reply !== null && typeof reply === 'object' && !Array.isArray(reply) && 'map' in reply) {
    const proto = reply.map.find(([k]) => k === 'proto');
    if (proto) return `proto ${String(proto[1])}`;
  }
  if (Array.isArray(reply) && reply[4] === 'proto') return `proto ${String(reply[5])}`;
  return reply;
}
const pipelines: Pipeline[] = [];

const connect = tunnelClientOf(description);

beforeAll(async () => {
  const own = await firstNodeRange(cluster, description);
  // One hash tag in the first node's slots: the node serves every key, multi-key commands included.
  const tag = keyForSlot(own.start + 3, 'cut');
  const [a, b, c, h, l, big] = ['a', 'b', 'c', 'h', 'l', 'big'].map((k) => `{${tag}}:${k}`);
  const value = 'v'.repeat(VALUE_BYTES);
  const commands = [
    ['DEL', a, b, c, h, l, big],
    ['SET', a, '1'],
    ['GET', a],
    ['INCR', a],
    ['MSET', b, 'x', c, 'yy'],
    ['MGET', a, b, c],
    ['HSET', h, 'f', 'v'],
    ['HGET', h, 'f'],
    ['EXPIRE', a, '100'],
    ['RPUSH', l, 'p', 'q', 'r'],
    ['LRANGE', l, '0', '-1'],
    ['SET', big, value],
    ['STRLEN', big],
    ['GETRANGE', big, '0', '3'],
    ['APPEND', b, 'z'],
    ['GET', b],
    Buffer.from('PING\r\n'), // inline, as a person types it
    ['ECHO', 'cut'],
    Buffer.from('ECHO "inline cut"\r\n'),
    ['EXISTS', a, b, c],
    ['DEL', a, b, c, h, l, big],
  ];
  const expected: Reply[] = [0, 'OK', '1', 2, 'OK', ['2', 'x', 'yy'], 1, 'v', 1, 3, ['p', 'q', 'r']];
  expected.push('OK', 20_000, 'vvvv', 2, 'xz', 'PONG', 'cut', 'inline cut', 3, 6);
  pipelines.push({ name: 'reads and writes', commands, expected });
  // What gives a connection state of its own: a name, transactions, WATCH.
  pipelines.push({
    name: 'connection state',
    commands: [
      ['CLIENT', 'SETNAME', 'cutter'],
      ['CLIENT', 'GETNAME'],
      ['MULTI'],
      ['SET', a, '1'],
      ['INCR', a],
      ['EXEC'],
      ['WATCH', a],
      ['GET', a],
      ['MULTI'],
      ['INCR', a],
      ['EXEC'],
      ['DEL', a],
      Buffer.from('CLIENT GETNAME\r\n'),
      ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'],
    ],
    expected: [
      'OK',
      'cutter',
      'OK',
      'QUEUED',
      'QUEUED',
      ['OK', 2],
      'OK',
      '2',
      'OK',
      'QUEUED',
      [3],
      1,
      'cutter',
      'OK',
      null,
    ],
  });
  // RESP2 pub/sub: the confirmations and a subscribed PING are replies, in order.
  pipelines.push({
    name: 'pub/sub',
    commands: [
      ['SET', a, '1'],
      ['SUBSCRIBE', `cut:${tag}`],
      ['PING'],
      Buffer.from('PING x\r\n'),
      ['UNSUBSCRIBE', `cut:${tag}`],
      ['GET', a],
      ['DEL', a],
    ],
    expected: [
      'OK',
      ['subscribe', `cut:${tag}`, 1],
      ['pong', ''],
      ['pong', 'x'],
      ['unsubscribe', `cut:${tag}`, 0],
      '1',
      1,
    ],
  });
  // Client-side caching: a key read with tracking on, then written by this client, is invalidated.
  pipelines.push({
    name: 'tracking',
    commands: [
      ['HELLO', '3'],
      ['CLIENT', 'TRACKING', 'on'],
      ['GET', a],
      ['SET', a, '1'],
      ['GET', a],
      ['CLIENT', 'TRACKING', 'off'],
      ['DEL', a],
      ['HELLO', '2'],
    ],
    expected: ['proto 3', 'OK', null, 'OK', '1', 'OK', 1, 'proto 2'],
    compared: helloProto,
    pushes: [['invalidate', [a]]],
  });
  // RESP3 from the middle of the stream on: a map, a double, a null, and back to RESP2.
  pipelines.push({
    name: 'RESP3',
    commands: [
      ['SET', a, '1'],
      ['HELLO', '3'],
      ['HSET', h, 'f', 'v'],
      ['HGETALL', h],
      ['INCRBYFLOAT', a, '0.5'],
      ['ZADD', `{${tag}}:z`, '2.5', 'm'],
      ['ZSCORE', `{${tag}}:z`, 'm'],
      ['GET', `{${tag}}:none`],
      Buffer.from('PING\r\n'),
      ['DEL', a, h, `{${tag}}:z`],
      ['HELLO', '2'],
      ['HGETALL', h],
    ],
    // INCRBYFLOAT answers a bulk string even in RESP3; ZSCORE a double.
    expected: ['OK', 'proto 3', 1, { map: [['f', 'v']] }, '1.5', 1, 2.5, null, 'PONG', 3, 'proto 2', []],
    compared: helloProto,
  });
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT));
});

afterAll(async () => {
  const code = await tunnel?.stop();
  if (code !== 0) console.log(`STDERR ${tunnel.stderr().slice(-3000)}`);
  expect(code).toBe(0);
});

/** Where the pipeline's bytes lie, as a client encodes it: its length, and the large value's span. */
function layout(commands: Pipeline['commands']): { length: number; valueStart: number; valueEnd: number } {
  let n = 0;
  let valueStart = 0;
  let valueEnd = 0;
  for (const args of commands) {
    if (Buffer.isBuffer(args)) {
      n += args.length;
      continue;
    }
    n += `*${args.length}\r\n`.length;
    for (const a of args) {
      n += `$${Buffer.byteLength(a)}\r\n`.length;
      if (a.length === VALUE_BYTES) [valueStart, valueEnd] = [n, n + a.length];
      n += Buffer.byteLength(a) + 2;
    }
  }
  return { length: n, valueStart, valueEnd };
}

/**
 * The pipeline, cut at CUTS places chosen by `seed` (over every byte but the large value's, which
 * gets one cut of its own, so most cuts fall among the small requests); the replies, or 'timeout'
 * for any that never came.
 */
async function cutPipeline(
  target: RawTarget,
  seed: number,
  p: Pipeline,
): Promise<{ replies: Array<Reply | 'timeout'>; pushes: Reply[][] }> {
  const next = random(seed);
  const { length, valueStart, valueEnd } = layout(p.commands);
  const outside = length - (valueEnd - valueStart);
  const cuts = new Set<number>();
  if (valueEnd > valueStart) cuts.add(valueStart + Math.floor(next() * (valueEnd - valueStart)));
  while (cuts.size < CUTS) {
    const at = 1 + Math.floor(next() * (outside - 1));
    cuts.add(at <= valueStart || valueEnd === valueStart ? at : at + (valueEnd - valueStart));
  }
  const client = await connect(target);
  const replies = client.pipelineCut(
    p.commands,
    [...cuts].sort((x, y) => x - y),
    GAP_MS,
  );
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
  const targets: Array<[string, () => RawTarget]> = [
    ['a node directly', () => nodeTarget(description)],
    ['the pinned listener', () => tunnelTarget(pinnedPort)],
    ['the smart port', () => tunnelTarget(SMART_PORT)],
  ];
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
