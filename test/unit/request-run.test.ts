/**
 * Smart mode's runs of single-node requests: one write and one waiter for many requests, and each
 * reply that went wrong handed to the dispatcher for its own request. The lanes, dispatcher and
 * planner are fakes (named so) that record what the run asks of them.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/resp/encode.js';
import type { Dispatcher } from '../../src/smart/dispatch.js';
import type { Lane, LaneRun, Lanes } from '../../src/smart/lanes.js';
import type { Planner } from '../../src/smart/plan.js';
import { RequestRun } from '../../src/smart/request-run.js';
import { hashSlot } from '../../src/topology/hash-slot.js';
import type { NodeEntry } from '../../src/topology/node-table.js';

const nodeA = { target: { label: 'a' } } as unknown as NodeEntry;
const nodeB = { target: { label: 'b' } } as unknown as NodeEntry;

interface Recovery {
  frame: string | null;
  failure: string | undefined;
  request: string;
  slot: number;
  answer: (reply: Buffer) => void;
}

function harness(lane: Lane = 'shared') {
  const chunk = Buffer.concat([
    encodeCommand(['GET', 'k1']),
    encodeCommand(['GET', 'k2']),
    encodeCommand(['GET', 'k3']),
  ]);
  const one = encodeCommand(['GET', 'k1']).length;
  const requests = [0, 1, 2].map((i) => chunk.subarray(i * one, (i + 1) * one));
  const recoveries: Recovery[] = [];
  const fakeDispatcher = {
    recover: (
      frame: Buffer | null,
      failure: string | undefined,
      _e: NodeEntry,
      request: Buffer,
      _l: Lane,
      slot: number,
      done: (r: Buffer) => void,
    ) =>
      recoveries.push({
        frame: frame?.toString() ?? null,
        failure,
        request: request.toString(),
        slot,
        answer: done,
      }),
  } as unknown as Dispatcher;
  const fakePlanner = { runRoute: () => ({ key: 1, lane, runs: true }) } as unknown as Planner;
  const sent: Array<{ bytes: string; run: LaneRun }> = [];
  const fakeLanes = {
    sendRun: (_e: NodeEntry, _l: Lane, bytes: Buffer, run: LaneRun) =>
      sent.push({ bytes: bytes.toString(), run }),
  } as unknown as Lanes;
  // The client's place in the reply order, a fake: what the run handed on, and whether it ended.
  const replies: string[] = [];
  const place = { add: (r: Buffer) => replies.push(r.toString()), end: () => replies.push('end') };
  const run = new RequestRun(nodeA, lane, requests[0], place, fakeDispatcher, fakePlanner);
  let settled = 0;
  const send = (): LaneRun => {
    run.send(fakeLanes);
    sent[0].run.settled = () => settled++;
    return sent[0].run;
  };
  return { chunk, requests, run, send, sent, recoveries, replies, settled: () => settled };
}

describe('a run of single-node requests', () => {
  it('takes the requests that follow it in the same read, to the same node and lane, and sends them as one', () => {
    const h = harness();
    expect(h.run.extend(nodeA, 'shared', h.requests[1])).toBe(true);
    expect(h.run.extend(nodeA, 'shared', h.requests[2])).toBe(true);
    const run = h.send();
    expect(h.sent.map((s) => s.bytes)).toEqual([h.chunk.toString()]);
    expect(run.left).toBe(3);
  });

  it('refuses a request for another node, another lane, or bytes that do not follow its own', () => {
    const h = harness();
    expect(h.run.extend(nodeB, 'shared', h.requests[1])).toBe(false);
    expect(h.run.extend(nodeA, 'shared-write', h.requests[1])).toBe(false);
    expect(h.run.extend(nodeA, 'shared', h.requests[2])).toBe(false);
    expect(h.run.extend(nodeA, 'shared', Buffer.from(h.requests[1]))).toBe(false);
  });

  it('a read may join a run of writes; a write does not join a run of reads', () => {
    const writes = harness('shared-write');
    expect(writes.run.extend(nodeA, 'shared', writes.requests[1])).toBe(true);
    const reads = harness('shared');
    expect(reads.run.extend(nodeA, 'shared-write', reads.requests[1])).toBe(false);
  });

  it('hands on replies in order as they come; a MOVED is handed over for its own request only, and holds the ones after it', () => {
    const h = harness();
    h.run.extend(nodeA, 'shared', h.requests[1]);
    h.run.extend(nodeA, 'shared', h.requests[2]);
    const run = h.send();
    run.frame(Buffer.from('$2\r\nv1\r\n'));
    expect(h.replies).toEqual(['$2\r\nv1\r\n']);
    run.frame(Buffer.from('-MOVED 1 10.0.0.1:7002\r\n'));
    run.frame(Buffer.from('$2\r\nv3\r\n'));
    expect(h.settled()).toBe(1);
    expect(h.recoveries.map((r) => [r.frame, r.request, r.slot])).toEqual([
      ['-MOVED 1 10.0.0.1:7002\r\n', h.requests[1].toString(), hashSlot(Buffer.from('k2'))],
    ]);
    expect(h.replies).toEqual(['$2\r\nv1\r\n']);
    h.recoveries[0].answer(Buffer.from('$2\r\nv2\r\n'));
    expect(h.replies).toEqual(['$2\r\nv1\r\n', '$2\r\nv2\r\n', '$2\r\nv3\r\n', 'end']);
  });

  it('a connection that fails part-way hands every reply still due to the dispatcher, with the reason', () => {
    const h = harness();
    h.run.extend(nodeA, 'shared', h.requests[1]);
    h.run.extend(nodeA, 'shared', h.requests[2]);
    const run = h.send();
    run.frame(Buffer.from('+OK\r\n'));
    run.failed('node a closed the connection');
    expect(h.settled()).toBe(1);
    expect(h.recoveries.map((r) => [r.frame, r.failure, r.request])).toEqual([
      [null, 'node a closed the connection', h.requests[1].toString()],
      [null, 'node a closed the connection', h.requests[2].toString()],
    ]);
    h.recoveries[1].answer(Buffer.from('$2\r\nv3\r\n'));
    expect(h.replies).toEqual(['+OK\r\n']);
    h.recoveries[0].answer(Buffer.from('$2\r\nv2\r\n'));
    expect(h.replies).toEqual(['+OK\r\n', '$2\r\nv2\r\n', '$2\r\nv3\r\n', 'end']);
  });
});
