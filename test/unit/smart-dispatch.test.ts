/**
 * Smart mode's dispatcher: what it does with each answer a node can give, with fakes (named so)
 * for the lanes (they record each send and let the test answer it) and for the node table (three
 * masters, one owning every slot until a test moves one).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SmartContext } from '../../src/smart/context.js';
import { Dispatcher, RETRY } from '../../src/smart/dispatch.js';
import type { Lane, Lanes } from '../../src/smart/lanes.js';
import type { ReplyHandler } from '../../src/upstream/reply-waiters.js';
import type { NodeEntry } from '../../src/topology/node-table.js';

interface Sent {
  node: string;
  lane: Lane;
  request: string;
  answer: ReplyHandler;
}

function entry(name: string, port: number): NodeEntry {
  return {
    node: { role: 'master' },
    target: { host: '10.0.0.1', port, label: name },
  } as unknown as NodeEntry;
}

function harness() {
  const [a, b, c] = [entry('a', 7001), entry('b', 7002), entry('c', 7003)];
  let owner = a;
  const sent: Sent[] = [];
  const refreshes: string[] = [];
  const lanes = {
    send: (e: NodeEntry, lane: Lane, request: Buffer, answer: ReplyHandler) =>
      sent.push({ node: e.target.label, lane, request: request.toString(), answer }),
  } as unknown as Lanes;
  const table = {
    ownerOf: () => owner,
    masters: () => [a, b, c],
    find: (ref: { port: number }) => [a, b, c].find((e) => e.target.port === ref.port),
  };
  const ctx = {
    table,
    refresh: (why: string) => {
      refreshes.push(why);
      return Promise.resolve(true);
    },
  } as unknown as SmartContext;
  const replies: string[] = [];
  const dispatcher = new Dispatcher(ctx, lanes);
  const send = (request: string, lane: Lane = 'shared'): void =>
    dispatcher.send(42, Buffer.from(request), (r) => replies.push(r.toString()), lane);
  const answer = (i: number, reply: string | null, failure?: string): void =>
    sent[i].answer(reply === null ? null : Buffer.from(reply), failure);
  return { sent, refreshes, replies, send, answer, moveTo: (e: 'b' | 'c') => (owner = e === 'b' ? b : c) };
}

describe('the smart dispatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends to the slot’s master on the lane it was given and hands back any reply that is not an error', () => {
    const h = harness();
    h.send('GET k', 'shared-write');
    expect(h.sent.map((s) => [s.node, s.lane, s.request])).toEqual([['a', 'shared-write', 'GET k']]);
    h.answer(0, '$1\r\nv\r\n');
    expect(h.replies).toEqual(['$1\r\nv\r\n']);
    expect(h.refreshes).toEqual([]);
  });

  it('MOVED: refreshes the slot map and sends the request where it says, on the same lane; the client never sees it', () => {
    const h = harness();
    h.send('GET k', 'own');
    h.answer(0, '-MOVED 42 10.0.0.1:7002\r\n');
    expect(h.refreshes).toEqual(['MOVED']);
    expect(h.sent.slice(1).map((s) => [s.node, s.lane, s.request])).toEqual([['b', 'own', 'GET k']]);
    h.answer(1, '+OK\r\n');
    expect(h.replies).toEqual(['+OK\r\n']);
  });

  it('ASK: ASKING and the request go to the target back to back, once, and the map is not refreshed', () => {
    const h = harness();
    h.send('GET k');
    h.answer(0, '-ASK 42 10.0.0.1:7003\r\n');
    expect(h.sent.slice(1).map((s) => [s.node, s.request])).toEqual([
      ['c', '*1\r\n$6\r\nASKING\r\n'],
      ['c', 'GET k'],
    ]);
    expect(h.refreshes).toEqual([]);
    h.answer(1, '+OK\r\n');
    h.answer(2, ':1\r\n');
    expect(h.replies).toEqual([':1\r\n']);
  });

  it('TRYAGAIN and CLUSTERDOWN: waits, doubling from 50 ms, asks the slot’s owner again, and gives up with the reason', () => {
    const h = harness();
    h.send('SET k v');
    h.answer(0, '-TRYAGAIN Multiple keys request during rehashing of slot\r\n');
    expect(h.sent).toHaveLength(1);
    h.moveTo('b');
    vi.advanceTimersByTime(RETRY.firstDelayMs);
    expect(h.sent.map((s) => s.node)).toEqual(['a', 'b']);
    for (let i = 1; i < RETRY.attempts + 1; i++) {
      h.answer(i, '-CLUSTERDOWN The cluster is down\r\n');
      vi.advanceTimersByTime(RETRY.maxDelayMs);
    }
    expect(h.sent).toHaveLength(RETRY.attempts + 1);
    expect(h.replies).toEqual(['-CLUSTERDOWN redis-cluster-tunnel: CLUSTERDOWN The cluster is down\r\n']);
  });

  it('a connection that broke before the reply: the request is sent again once the slot has a master', () => {
    const h = harness();
    h.send('INCR n');
    h.answer(0, null, 'node a closed the connection');
    expect(h.refreshes).toEqual(['node a closed the connection']);
    vi.advanceTimersByTime(RETRY.firstDelayMs);
    expect(h.sent.map((s) => [s.node, s.request])).toEqual([
      ['a', 'INCR n'],
      ['a', 'INCR n'],
    ]);
    h.answer(1, ':1\r\n');
    expect(h.replies).toEqual([':1\r\n']);
  });

  it('passes other errors on as the node gave them, and a sixth redirect in a row as it is', () => {
    const h = harness();
    h.send('INCR s');
    h.answer(0, '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    expect(h.replies).toEqual(['-WRONGTYPE Operation against a key holding the wrong kind of value\r\n']);
    const m = harness();
    m.send('GET k');
    for (let i = 0; i < 6; i++) m.answer(i, `-MOVED 42 10.0.0.1:${7001 + ((i + 1) % 3)}\r\n`);
    expect(m.sent).toHaveLength(6);
    expect(m.replies).toEqual(['-MOVED 42 10.0.0.1:7001\r\n']);
  });
});
