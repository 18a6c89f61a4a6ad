/**
 * Smart mode's batches of single-node requests: one write and one waiter per node for the
 * requests of one client read, one place in the reply order, and each reply that went wrong
 * handed to the dispatcher for its own request. The lanes, dispatcher and planner are fakes (named
 * so) that record what the batch asks of them.
 */
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/resp/encode.js';
import type { Dispatcher } from '../../src/smart/dispatch.js';
import type { Lane, LaneRun, Lanes } from '../../src/smart/lanes.js';
import type { CopiedRequests } from '../../src/upstream/turn-writes.js';
import type { Planner } from '../../src/smart/plan.js';
import { ReadBatch } from '../../src/smart/read-batch.js';
import { BATCH_WRITE_BYTES } from '../../src/smart/replies.js';
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

/** Three GETs (k1, k2, k3) that lie together, as in one client read. */
function harness() {
  const one = encodeCommand(['GET', 'k1']).length;
  const chunk = Buffer.concat(['k1', 'k2', 'k3'].map((k) => encodeCommand(['GET', k])));
  const requests = [0, 1, 2].map((i) => chunk.subarray(i * one, (i + 1) * one));
  /** Adds request i (of the client read `chunk`) to `batch`, for `entry` on `lane`. */
  const add = (b: ReadBatch, entry: NodeEntry, lane: Lane, i: number, lanes: Lanes): void =>
    b.add(entry, lane, chunk, i * one, (i + 1) * one, lanes);
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
  const fakePlanner = { batchRoute: () => ({ key: 1, lane: 'shared', batched: true }) } as unknown as Planner;
  const sent: Array<{ node: string; lane: Lane; bytes: string; run: LaneRun }> = [];
  const fakeLanes = {
    sendRun: (e: NodeEntry, lane: Lane, run: LaneRun & CopiedRequests) => {
      run.gate = e.target.label;
      sent.push({ node: e.target.label, lane, bytes: written(run).toString(), run });
    },
    settled: (run: LaneRun) => settled.push(run.gate as string),
  } as unknown as Lanes;
  const settled: string[] = [];
  // The client's place in the reply order, a fake: what the batch handed on, and whether it ended.
  const replies: string[] = [];
  const place = { add: (r: Buffer) => replies.push(r.toString()), end: () => replies.push('end') };
  const batch = new ReadBatch(fakeDispatcher, fakePlanner);
  /** The three requests batched for node a and sent: the run that waits for their replies. */
  const allToA = (): LaneRun => {
    for (const i of [0, 1, 2]) add(batch, nodeA, 'shared', i, fakeLanes);
    batch.send(place, fakeLanes);
    return sent[0].run;
  };
  return { chunk, requests, add, batch, fakeLanes, place, sent, settled, recoveries, replies, allToA };
}

const frame = (s: string): Buffer => Buffer.from(s);
/** What a connection writes for `run` (its requests, copied), as a write of its own. */
function written(run: CopiedRequests): Buffer {
  const out = Buffer.alloc(run.byteLength);
  run.copyTo(out, 0);
  return out;
}
/** A whole reply for `run`, as a read of its own. */
const reply = (run: LaneRun, s: string): void => run.frameAt(frame(s), 0, s.length);

describe('a batch of single-node requests', () => {
  it('one write per node (a copy when its requests do not lie together), replies read in place and handed on in request order as one buffer once all have come', () => {
    const h = harness();
    h.add(h.batch, nodeA, 'shared', 0, h.fakeLanes);
    h.add(h.batch, nodeB, 'shared', 1, h.fakeLanes);
    h.add(h.batch, nodeA, 'shared', 2, h.fakeLanes);
    expect(h.sent).toEqual([]);
    h.batch.send(h.place, h.fakeLanes);
    expect(h.sent.map((s) => [s.node, s.lane, s.bytes, s.run.left])).toEqual([
      ['a', 'shared', h.requests[0].toString() + h.requests[2].toString(), 2],
      ['b', 'shared', h.requests[1].toString(), 1],
    ]);
    const [a, b] = h.sent.map((s) => s.run);
    // Each node's replies as one read of its connection: the runs read them in place.
    const readA = frame('$2\r\nv1\r\n$2\r\nv3\r\n');
    b.frameAt(frame('+x\r\n$2\r\nv2\r\n'), 4, 12);
    expect(h.replies).toEqual([]);
    a.frameAt(readA, 0, 8);
    expect(h.replies).toEqual([]);
    a.frameAt(readA, 8, 16);
    expect(h.replies).toEqual(['$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n', 'end']);
    expect(h.settled).toEqual(['b', 'a']);
  });

  it("a run's requests are copied into the connection's write where it puts them, and a request sent again is read from there", () => {
    const h = harness();
    const runs: Array<LaneRun & CopiedRequests> = [];
    // A fake that keeps the run, as a connection does until its turn's write is made.
    const lanes = {
      sendRun: (_e: NodeEntry, _l: Lane, r: LaneRun & CopiedRequests) => runs.push(r),
      settled: () => {},
    } as unknown as Lanes;
    for (const i of [0, 2]) h.add(h.batch, nodeA, 'shared', i, lanes);
    h.batch.send(h.place, lanes);
    const [run] = runs;
    const one = h.requests[0].length;
    expect(run.byteLength).toBe(2 * one);
    // A connection's write of its turn, with another client's request first.
    const out = Buffer.alloc(3 + 2 * one, '.');
    run.copyTo(out, 3);
    expect(out.toString()).toBe('...' + h.requests[0].toString() + h.requests[2].toString());
    h.chunk.fill(0); // the client's read is not read again once copied
    reply(run, '-MOVED 1 10.0.0.1:7002\r\n');
    expect(h.recoveries.map((r) => r.request)).toEqual([out.subarray(3, 3 + one).toString()]);
    reply(run, '-MOVED 1 10.0.0.1:7002\r\n');
    expect(h.recoveries.map((r) => r.request)).toEqual([
      out.subarray(3, 3 + one).toString(),
      out.subarray(3 + one).toString(),
    ]);
  });

  it('a read may follow writes onto their connection; a write after reads sends the reads at once', () => {
    const h = harness();
    h.add(h.batch, nodeA, 'shared-write', 0, h.fakeLanes);
    h.add(h.batch, nodeA, 'shared', 1, h.fakeLanes);
    expect(h.sent).toEqual([]);
    const reads = harness();
    reads.add(reads.batch, nodeA, 'shared', 0, reads.fakeLanes);
    reads.add(reads.batch, nodeA, 'shared-write', 1, reads.fakeLanes);
    expect(reads.sent.map((s) => [s.node, s.lane, s.bytes])).toEqual([
      ['a', 'shared', reads.requests[0].toString()],
    ]);
    reads.batch.send(reads.place, reads.fakeLanes);
    expect(reads.sent.map((s) => s.lane)).toEqual(['shared', 'shared-write']);
  });

  it('a MOVED is handed over for its own request only, and the batch waits for its answer', () => {
    const h = harness();
    const run = h.allToA();
    reply(run, '$2\r\nv1\r\n');
    reply(run, '-MOVED 1 10.0.0.1:7002\r\n');
    reply(run, '$2\r\nv3\r\n');
    expect(h.recoveries.map((r) => [r.frame, r.request, r.slot])).toEqual([
      ['-MOVED 1 10.0.0.1:7002\r\n', h.requests[1].toString(), hashSlot(Buffer.from('k2'))],
    ]);
    expect(h.replies).toEqual([]);
    h.recoveries[0].answer(frame('$2\r\nv2\r\n'));
    expect(h.replies).toEqual(['$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n', 'end']);
  });

  it('a connection that fails part-way hands every reply still due to the dispatcher, with the reason', () => {
    const h = harness();
    const run = h.allToA();
    reply(run, '+OK\r\n');
    run.failed('node a closed the connection');
    expect(h.settled).toEqual(['a']);
    expect(h.recoveries.map((r) => [r.frame, r.failure, r.request])).toEqual([
      [null, 'node a closed the connection', h.requests[1].toString()],
      [null, 'node a closed the connection', h.requests[2].toString()],
    ]);
    h.recoveries[1].answer(frame('$2\r\nv3\r\n'));
    expect(h.replies).toEqual([]);
    h.recoveries[0].answer(frame('$2\r\nv2\r\n'));
    expect(h.replies).toEqual(['+OK\r\n$2\r\nv2\r\n$2\r\nv3\r\n', 'end']);
  });

  it('a run that leaves early on a broken connection fails at once, and the answer its request gets before the batch is sent keeps its place', () => {
    const h = harness();
    const writes: LaneRun[] = [];
    // A fake: the read connection is broken (its run fails as it is sent), the write one works.
    const lanes = {
      sendRun: (_e: NodeEntry, lane: Lane, run: LaneRun) => {
        if (lane === 'shared') run.failed('node a: broken');
        else writes.push(run);
      },
      settled: () => {},
    } as unknown as Lanes;
    h.add(h.batch, nodeA, 'shared', 0, lanes);
    // A write after a read of the same node sends the read's run at once (see add).
    h.add(h.batch, nodeA, 'shared-write', 1, lanes);
    expect(h.recoveries.map((r) => [r.failure, r.request])).toEqual([
      ['node a: broken', h.requests[0].toString()],
    ]);
    h.recoveries[0].answer(frame('$2\r\nv1\r\n'));
    expect(h.replies).toEqual([]); // nowhere to go before the batch is sent
    h.batch.send(h.place, lanes);
    expect(h.replies).toEqual(['$2\r\nv1\r\n']);
    reply(writes[0], '+OK\r\n');
    expect(h.replies).toEqual(['$2\r\nv1\r\n', '+OK\r\n', 'end']);
  });

  it('replies that add up to 64 KiB are handed on before the rest of the batch has come', () => {
    const h = harness();
    h.add(h.batch, nodeA, 'shared', 0, h.fakeLanes);
    h.add(h.batch, nodeB, 'shared', 1, h.fakeLanes);
    h.batch.send(h.place, h.fakeLanes);
    const [runA, runB] = h.sent.map((s) => s.run);
    const large = `$${BATCH_WRITE_BYTES}\r\n${'x'.repeat(BATCH_WRITE_BYTES)}\r\n`;
    reply(runA, large);
    expect(h.replies.map((r) => r.length)).toEqual([large.length]);
    reply(runB, '$2\r\nv2\r\n');
    expect(h.replies.slice(1)).toEqual(['$2\r\nv2\r\n', 'end']);
  });

  it('small replies are held until the last one comes: the client gets them as one buffer', () => {
    const h = harness();
    h.add(h.batch, nodeA, 'shared', 0, h.fakeLanes);
    h.add(h.batch, nodeB, 'shared', 1, h.fakeLanes);
    h.add(h.batch, nodeA, 'shared', 2, h.fakeLanes);
    h.batch.send(h.place, h.fakeLanes);
    const [runA, runB] = h.sent.map((s) => s.run);
    reply(runA, ':1\r\n');
    reply(runA, ':3\r\n');
    expect(h.replies).toEqual([]);
    reply(runB, ':2\r\n');
    expect(h.replies).toEqual([':1\r\n:2\r\n:3\r\n', 'end']);
  });
});
