import { T_ERROR } from '../resp/types.js';
import type { RequestParser } from '../resp/request-parser.js';
import { ARG_PLACES } from '../resp/request-parser-options.js';
import { requestArgs } from '../rewrite/requests.js';
import { commandName } from '../protocol/command-table.js';
import { hashSlot } from '../topology/hash-slot.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { Dispatcher } from './dispatch.js';
import type { Lane, LaneRun, Lanes } from './lanes.js';
import type { Planner } from './plan.js';
import type { ReplyQueue, BatchPlace } from './replies.js';

/** Stands in for a reply not come yet, or being answered by the dispatcher, or handed on. */
const AWAITED = Buffer.alloc(0);

/**
 * One node's part of a ReadBatch: its requests, in the client's order, leave as one write (the
 * bytes as the client sent them: one view when they lie together) with one reply waiter, and each
 * reply goes back to its place in the batch.
 */
export class NodeRun implements LaneRun {
  /** Replies still due from the connection (it counts them down once the run is sent). */
  left = 0;
  settled: (() => void) | null = null;
  /** Where each request stands in the batch. */
  readonly places: number[] = [];
  /** The requests while the run is built; emptied when it is sent (see request). */
  readonly requests: Buffer[] = [];
  /** What was sent, and where each request ends in it: a request is cut from it again only to recover. */
  private sent: Buffer = AWAITED;
  private ends: number[] = [];
  private received = 0;

  constructor(
    readonly entry: NodeEntry,
    readonly lane: Lane,
    private readonly batch: ReadBatch,
  ) {}

  /**
   * Whether a request on `lane` may follow this run's: the same lane, or a read after writes, which
   * takes their connection (as Lanes sends it while they are in flight). A write never follows
   * reads here: that would hold them behind writes a node may hold.
   */
  takes(lane: Lane): boolean {
    // A read that a replica may answer is, on a master, a shared read like any other.
    const next = lane === 'read' ? 'shared' : lane;
    const mine = this.lane === 'read' ? 'shared' : this.lane;
    return next === mine || (next === 'shared' && mine === 'shared-write');
  }

  send(lanes: Lanes): void {
    const r = this.requests;
    this.left = r.length;
    const sent = (this.sent = r.length === 1 ? r[0] : joined(r));
    let end = 0;
    for (const request of r) this.ends.push((end += request.length));
    // The views go now, not when the replies come: kept over a round trip, one per request, they
    // outlived the young heap's collections and made the old heap grow (a large share of smart
    // mode's time in collection).
    r.length = 0;
    lanes.sendRun(this.entry, this.lane, sent, this);
  }

  /** Request `k` as it was sent. */
  request(k: number): Buffer {
    return this.sent.subarray(k === 0 ? 0 : this.ends[k - 1], this.ends[k]);
  }

  frameAt(buf: Buffer, start: number, end: number): void {
    const k = this.received++;
    if (this.received === this.places.length) this.settled?.();
    this.batch.replyAt(this, k, buf, start, end);
  }

  failed(reason: string): void {
    const from = this.received;
    this.received = this.places.length;
    this.settled?.();
    for (let k = from; k < this.places.length; k++) this.batch.failed(this, k, reason);
  }
}

/** Requests as one buffer: a view when they follow each other in memory (one client read), else a copy. */
function joined(requests: Buffer[]): Buffer {
  const first = requests[0];
  let end = first.byteOffset + first.length;
  for (let i = 1; i < requests.length; i++) {
    const r = requests[i];
    if (r.buffer !== first.buffer || r.byteOffset !== end) return Buffer.concat(requests);
    end += r.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

/**
 * The single-node requests of one client read (GETs and SETs of a pipeline, mostly), wherever
 * their keys live: one NodeRun per node, and one place in the client's reply order. What one
 * request costs the tunnel is then its parse, its key's hash and an index. A reply that is an
 * error a cluster client acts on (MOVED, ASK, TRYAGAIN, CLUSTERDOWN), or one that never comes, is
 * the dispatcher's to handle for that one request, as if it had been sent alone; only the replies
 * after it wait for it.
 */
export class ReadBatch {
  /**
   * The replies in request order, read in place: reply i lies in bufs[i] from starts[i] to ends[i]
   * (AWAITED where it has not come, or was handed on).
   */
  private readonly bufs: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly runs: NodeRun[] = [];
  private passed = 0;
  private place: BatchPlace | null = null;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly planner: Planner,
  ) {}

  /** Adds a request for `entry` on `lane`; a run of that node that it cannot follow leaves now. */
  add(entry: NodeEntry, lane: Lane, request: Buffer, lanes: Lanes): void {
    let run: NodeRun | undefined;
    for (const r of this.runs) if (r.entry === entry) run = r;
    if (run && !run.takes(lane)) {
      this.runs.splice(this.runs.indexOf(run), 1);
      run.send(lanes);
      run = undefined;
    }
    if (!run) this.runs.push((run = new NodeRun(entry, lane, this)));
    // A request's place is its index in bufs, starts and ends, which grow with the requests: an
    // answer that comes before the batch is sent (a recovered request whose run left early)
    // finds its place already there.
    run.places.push(this.bufs.length);
    run.requests.push(request);
    this.bufs.push(AWAITED);
    this.starts.push(0);
    this.ends.push(0);
  }

  /** The batch is complete: its runs leave, and its replies go to `place` as they come in order. */
  send(place: BatchPlace, lanes: Lanes): void {
    this.place = place;
    for (const run of this.runs) run.send(lanes);
    this.runs.length = 0;
    this.pass();
  }

  /** The reply to `run`'s request `k`: `buf[start, end)`. */
  replyAt(run: NodeRun, k: number, buf: Buffer, start: number, end: number): void {
    if (buf[start] === T_ERROR) return this.recover(run, k, buf.subarray(start, end), undefined);
    this.fill(run.places[k], buf, start, end);
    this.pass();
  }

  /** The reply to `run`'s request `k` will not come, for `reason`. */
  failed(run: NodeRun, k: number, reason: string): void {
    this.recover(run, k, null, reason);
  }

  private fill(i: number, buf: Buffer, start: number, end: number): void {
    this.bufs[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
  }

  /** An error reply, or none: the dispatcher handles that one request as if it had been sent alone. */
  private recover(run: NodeRun, k: number, frame: Buffer | null, failure: string | undefined): void {
    const i = run.places[k];
    const request = run.request(k);
    const args = requestArgs(request);
    const route = this.planner.batchRoute(commandName(args), args.length);
    const slot = route ? hashSlot(args[route.key]) : 0;
    this.dispatcher.recover(frame, failure, run.entry, request, run.lane, slot, (reply) => {
      this.fill(i, reply, 0, reply.length);
      this.pass();
    });
  }

  /** Hands on the replies that are next in order, as one buffer, and lets go of them. */
  private pass(): void {
    const { bufs, starts, ends, place } = this;
    const count = bufs.length;
    const from = this.passed;
    if (!place || from === count) return;
    let to = from;
    let bytes = 0;
    while (to < count && bufs[to] !== AWAITED) bytes += ends[to] - starts[to++];
    if (to === from) return;
    this.passed = to;
    if (to - from === 1) {
      place.add(bufs[from].subarray(starts[from], ends[from]));
      bufs[from] = AWAITED;
    } else {
      const out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (let i = from; i < to; i++) {
        at = copyRange(bufs[i], starts[i], ends[i], out, at);
        bufs[i] = AWAITED;
      }
      place.add(out);
    }
    if (to === count) place.end();
  }
}

/** Replies this short are copied byte by byte: Buffer#copy makes a view of its own per call. */
const BYTE_COPY_MAX = 32;

/** Copies `from[start, end)` into `to` at `at`; returns where the copy ends in `to`. */
function copyRange(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  if (end - start > BYTE_COPY_MAX) return at + from.copy(to, at, start, end);
  for (let i = start; i < end; i++) to[at++] = from[i];
  return at;
}

/**
 * The batch a client is building from one read, sent at the read's end or when another kind of
 * request comes. A request that no other joins goes on its own, as any request does: a batch is
 * made only for two or more, where it saves more than it costs.
 */
export class Batches {
  private batch: ReadBatch | null = null;
  /** The request that may start a batch, not sent yet (entry null: none). */
  private entry: NodeEntry | null = null;
  private lane: Lane = 'shared';
  private bytes: Buffer = AWAITED;
  private slot = 0;

  constructor(
    private readonly planner: Planner,
    private readonly dispatcher: Dispatcher,
    private readonly lanes: Lanes,
    private readonly replies: ReplyQueue,
  ) {}

  /**
   * Takes a request that may go in a batch (see Planner.batchRoute), read where `parser` left it:
   * its name is one of the planner's batchNames; false for any other.
   */
  add(name: string, bytes: Buffer, parser: RequestParser): boolean {
    const route = this.planner.batchRoute(name, parser.argc);
    const key = route ? route.key : ARG_PLACES;
    if (!route || key >= ARG_PLACES || parser.argLengths[key] < 0) return false;
    const slot = this.planner.slotAt(
      parser.argBuffers[key] as Buffer,
      parser.argStarts[key],
      parser.argLengths[key],
    );
    const entry = this.dispatcher.target(slot, route.lane);
    if (!entry) return false;
    if (this.entry) {
      this.batch = new ReadBatch(this.dispatcher, this.planner);
      this.batch.add(this.entry, this.lane, this.bytes, this.lanes);
      this.entry = null;
      this.bytes = AWAITED;
    }
    if (this.batch) {
      this.batch.add(entry, route.lane, bytes, this.lanes);
      return true;
    }
    this.entry = entry;
    this.lane = route.lane;
    this.bytes = bytes;
    this.slot = slot;
    return true;
  }

  /** Sends the batch being built, or the one request waiting for a second. */
  send(): void {
    const batch = this.batch;
    if (batch) {
      this.batch = null;
      return batch.send(this.replies.takeBatch(), this.lanes);
    }
    const entry = this.entry;
    if (!entry) return;
    this.entry = null;
    this.dispatcher.sendTo(entry, this.bytes, this.replies.take(), this.lane, this.slot);
    this.bytes = AWAITED;
  }
}
