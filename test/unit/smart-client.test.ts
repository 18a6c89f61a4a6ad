/**
 * Smart mode's client pipeline as a whole: a SmartClient on an in-process socket, its requests
 * parsed, batched per master, sent on real shared connections (Upstream, SharedPool) to fake
 * masters (named so: test/helpers/fake-masters.ts), and its replies put back in request order.
 * The fakes do what a real node will not do on demand: answer out of order across nodes, hold
 * replies, drop a connection with replies due. What a real cluster answers is in test/e2e.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLIENT_DRAIN_MS } from '../../src/net/listen.js';
import { memorySocketPair } from '../../src/net/memory-socket.js';
import { ReplyScanner } from '../../src/resp/reply-scanner.js';
import { SmartClient } from '../../src/smart/client.js';
import { hashSlot } from '../../src/topology/hash-slot.js';
import { type FakeNode, type Script, fakeCluster } from '../helpers/fake-masters.js';
import { bulk, cmd } from '../helpers/resp.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A key of each master's slots (m1: 0-5460, m2: 5461-10922, m3: 10923-16383), found by hashing. */
function keyOf(master: 1 | 2 | 3, nth = 0): string {
  const [lo, hi] = [
    [0, 5460],
    [5461, 10922],
    [10923, 16383],
  ][master - 1];
  for (let i = 0, seen = 0; ; i++) {
    const slot = hashSlot(Buffer.from(`k${i}`));
    if (slot >= lo && slot <= hi && seen++ === nth) return `k${i}`;
  }
}

/** A GET's answer on a fake master: the key and the master's name, so a misrouted reply shows. */
const value = (key: string, node: FakeNode): string => bulk(`${key}@${node.name}`);
const answerGets: Script = (args, node) => (args[0] === 'GET' ? value(args[1], node) : '+OK\r\n');

/** A smart client on the fake masters, and the client's end of its socket. */
function start(script: Script = answerGets) {
  const cluster = fakeCluster(script);
  const { server, client } = memorySocketPair();
  let closed = false;
  const smart = new SmartClient(server, cluster.ctx, cluster.ctx.log, () => (closed = true));
  closers.push(() => {
    smart.destroy();
    cluster.ctx.shared.close();
  });
  let received = Buffer.alloc(0);
  let ended = false;
  client.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  client.on('end', () => (ended = true));
  /** The first `n` whole replies the client has (waits for them, up to 2 s). */
  const replies = async (n: number): Promise<string[]> => {
    for (let waited = 0; waited < 2000; waited += 5) {
      const frames = framesOf(received);
      if (frames.length >= n) return frames.slice(0, n);
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`only ${framesOf(received).length} of ${n} replies came: ${received.toString()}`);
  };
  return {
    ...cluster,
    send: (text: string) => client.write(text),
    replies,
    received: () => received.toString('latin1'),
    isClosed: () => closed,
    isEnded: () => ended,
  };
}

function framesOf(bytes: Buffer): string[] {
  const scanner = new ReplyScanner();
  const out: string[] = [];
  for (let pos = 0, end = 0; pos < bytes.length && (end = scanner.next(bytes, pos)) >= 0; pos = end)
    out.push(bytes.toString('latin1', pos, end));
  return out;
}

const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a smart client on three fake masters', () => {
  it('answers a pipeline in request order although the masters answer in the reverse order; each master gets its part in one write', async () => {
    const keys = [keyOf(1), keyOf(2), keyOf(3), keyOf(1, 1), keyOf(2, 1), keyOf(3, 1)];
    const t = start((args, node) => (node.name === 'm3' ? value(args[1], node) : 'hold'));
    t.send(keys.map((k) => cmd('GET', k)).join(''));
    await settle();
    // m3 answered; m1 and m2 hold theirs, and the client has nothing yet: its first reply is m1's.
    expect(t.received()).toBe('');
    expect(t.nodes.map((n) => n.heldCount)).toEqual([2, 2, 0]);
    t.nodes[1].release((args) => value(args[1], t.nodes[1]));
    await settle();
    expect(t.received()).toBe('');
    t.nodes[0].release((args) => value(args[1], t.nodes[0]));
    const names = ['m1', 'm2', 'm3', 'm1', 'm2', 'm3'];
    expect(await t.replies(6)).toEqual(keys.map((k, i) => bulk(`${k}@${names[i]}`)));
    expect(t.nodes.map((n) => n.requests)).toEqual([
      [
        ['GET', keys[0]],
        ['GET', keys[3]],
      ],
      [
        ['GET', keys[1]],
        ['GET', keys[4]],
      ],
      [
        ['GET', keys[2]],
        ['GET', keys[5]],
      ],
    ]);
    expect(t.nodes.map((n) => n.reads)).toEqual([1, 1, 1]);
  });

  it('a MOVED in a batch: that request alone goes where it says, the client sees the value in its place', async () => {
    const moved = keyOf(1, 2);
    const slot = hashSlot(Buffer.from(moved));
    const t = start((args, node) =>
      node.name === 'm1' && args[1] === moved ? `-MOVED ${slot} 127.0.0.12:7002\r\n` : answerGets(args, node),
    );
    const keys = [keyOf(1), moved, keyOf(3), keyOf(1, 1)];
    t.send(keys.map((k) => cmd('GET', k)).join(''));
    expect(await t.replies(4)).toEqual([
      bulk(`${keys[0]}@m1`),
      bulk(`${moved}@m2`),
      bulk(`${keys[2]}@m3`),
      bulk(`${keys[3]}@m1`),
    ]);
    expect(t.refreshes).toEqual(['MOVED']);
    expect(t.nodes[1].requests).toEqual([['GET', moved]]);
  });

  it('a master that drops its connection with replies due: they go again on a new one; the client sees every value and no error', async () => {
    let dropped = false;
    const t = start((args, node) => {
      if (node.name === 'm2' && !dropped) {
        dropped = true;
        return 'close';
      }
      return answerGets(args, node);
    });
    const keys = [keyOf(1), keyOf(2), keyOf(3), keyOf(2, 1)];
    t.send(keys.map((k) => cmd('GET', k)).join(''));
    const names = ['m1', 'm2', 'm3', 'm2'];
    expect(await t.replies(4)).toEqual(keys.map((k, i) => bulk(`${k}@${names[i]}`)));
    // m2 saw its first request on the connection it dropped, then both again on a new one.
    expect(t.nodes[1].requests).toEqual([
      ['GET', keys[1]],
      ['GET', keys[1]],
      ['GET', keys[3]],
    ]);
    // Each of the two requests due re-read the topology once, with the reason.
    expect(t.refreshes).toEqual(['node m2 closed the connection', 'node m2 closed the connection']);
    expect(t.isClosed()).toBe(false);
  });

  it('a malformed request after two good ones: they are answered, then the error, and only this client is closed', async () => {
    const t = start();
    const [a, b] = [keyOf(1), keyOf(2)];
    t.send(cmd('GET', a) + cmd('GET', b) + '*1\r\n$x\r\n' + cmd('GET', keyOf(3)));
    expect(await t.replies(3)).toEqual([
      bulk(`${a}@m1`),
      bulk(`${b}@m2`),
      '-ERR Protocol error: invalid bulk length\r\n',
    ]);
    await settle();
    expect(t.isEnded()).toBe(true);
    expect(t.nodes.flatMap((n) => n.requests)).toEqual([
      ['GET', a],
      ['GET', b],
    ]);
  });

  it('QUIT is answered by the tunnel, and nothing after it in the same read reaches a node', async () => {
    const t = start();
    t.send(cmd('GET', keyOf(1)) + cmd('QUIT') + cmd('GET', keyOf(2)));
    expect(await t.replies(2)).toEqual([bulk(`${keyOf(1)}@m1`), '+OK\r\n']);
    await settle();
    expect(t.isEnded()).toBe(true);
    expect(t.nodes.flatMap((n) => n.requests)).toEqual([['GET', keyOf(1)]]);
  });

  it('a client that keeps its side open after QUIT is closed once it has had CLIENT_DRAIN_MS to read', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const t = start();
      t.send(cmd('QUIT'));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(t.received()).toBe('+OK\r\n');
      expect(t.isEnded()).toBe(true);
      vi.advanceTimersByTime(CLIENT_DRAIN_MS - 1);
      await new Promise((r) => setImmediate(r));
      expect(t.isClosed()).toBe(false);
      vi.advanceTimersByTime(1);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(t.isClosed()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
