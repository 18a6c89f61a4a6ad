import { createHash } from 'node:crypto';
import type { Reply } from './raw-client.js';
import { seeded } from '../../helpers/seeded.js';

/**
 * The pipelines cut-requests.test.ts cuts into pieces, with the replies a node gives them (each
 * asserted there against a node directly first). Every key carries the hash tag `tag`, so one
 * node serves them all, multi-key commands included.
 */

/** Bytes in the large value of the first pipeline (it gets a cut of its own). */
export const VALUE_BYTES = 20_000;

/** A pipeline to cut: its commands (bytes: an inline line) and the replies a node gives them. */
export interface Pipeline {
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

/** The pipelines, for keys tagged `tag`. */
export function pipelinesFor(tag: string): Pipeline[] {
  const pipelines: Pipeline[] = [];
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
  // Scripts: EVAL, and EVALSHA of a script loaded in the same pipeline.
  const getScript = "return redis.call('GET', KEYS[1])";
  const sha = createHash('sha1').update(getScript).digest('hex');
  pipelines.push({
    name: 'scripts',
    commands: [
      ['SET', a, '5'],
      ['EVAL', "return redis.call('INCR', KEYS[1])", '1', a],
      ['SCRIPT', 'LOAD', getScript],
      ['EVALSHA', sha, '1', a],
      ['DEL', a],
    ],
    expected: ['OK', 6, sha, '6', 1],
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
  // Inline lines where the pinned lane waits or stops: a write behind a read in flight, HELLO to
  // the other protocol, WATCH (the client's own connection from there on).
  const line = (text: string): Buffer => Buffer.from(`${text}\r\n`);
  pipelines.push({
    name: 'inline lines that wait',
    commands: [
      ['DEL', a],
      line(`GET ${a}`),
      line(`SET ${a} "x y"`),
      line(`GET ${a}`),
      line('HELLO 3'),
      line(`GET ${a}`),
      line('HELLO 2'),
      line(`WATCH ${a}`),
      line(`GET ${a}`),
      line('UNWATCH'),
      ['DEL', a],
    ],
    expected: [0, null, 'OK', 'x y', 'proto 3', 'x y', 'proto 2', 'OK', 'x y', 'OK', 1],
    compared: helloProto,
  });
  return pipelines;
}

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

/**
 * `count` places to cut `commands` at, chosen by `seed`, in order: over every byte but a large
 * value's (VALUE_BYTES), which gets one cut of its own, so most fall among the small requests.
 */
export function cutsFor(commands: Pipeline['commands'], seed: number, count: number): number[] {
  const next = seeded(seed);
  const { length, valueStart, valueEnd } = layout(commands);
  const outside = length - (valueEnd - valueStart);
  const cuts = new Set<number>();
  if (valueEnd > valueStart) cuts.add(valueStart + Math.floor(next() * (valueEnd - valueStart)));
  while (cuts.size < count) {
    const at = 1 + Math.floor(next() * (outside - 1));
    cuts.add(at <= valueStart || valueEnd === valueStart ? at : at + (valueEnd - valueStart));
  }
  return [...cuts].sort((x, y) => x - y);
}
