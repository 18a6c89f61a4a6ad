import { T_ERROR } from '../resp/types.js';
import { requestArgs } from '../rewrite/requests.js';
import { commandName } from '../protocol/command-table.js';
import { hashSlot } from '../topology/hash-slot.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { Dispatcher } from './dispatch.js';
import type { Lane, LaneRun, Lanes } from './lanes.js';
import type { CopiedRequests } from '../upstream/turn-writes.js';
import type { Planner } from './plan.js';
import { BATCH_WRITE_BYTES, type BatchPlace } from './replies.js';

/** Stands in for a reply not come yet, or being answered by the dispatcher, or handed on. */
const AWAITED = Buffer.alloc(0);

/**
 * One node's part of a ReadBatch: its requests, in the client's order, go with one reply waiter,
 * copied straight from the client's read into the connection's write, and each reply goes back to
 * its place in the batch.
 */
export class NodeRun implements LaneRun, CopiedRequests {
  /** Replies still due from the connection (it counts them down once the run is sent). */
  left = 0;
  gate: unknown = null;
  gone: (() => boolean) | undefined = undefined;
  /** The bytes of the run's requests. */
  byteLength = 0;
  /** Where each request stands in the batch. */
  readonly places: number[] = [];
  /**
   * Request k lies in bufs[k] from starts[k] to ends[k] (the client's read, not a view of it: one
   * per request was a large part of a batch's cost) until the connection copies them into its
   * write (copyTo); then `sent` is that write, and they lie there from `at`, back to back.
   */
  private readonly bufs: Buffer[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private sent: Buffer | null = null;
  private at = 0;
  private received = 0;
  private lanes: Lanes | null = null;

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

  /** Adds the request at `buf[start, end)`, the batch's request `place`. */
  add(place: number, buf: Buffer, start: number, end: number): void {
    this.places.push(place);
    this.bufs.push(buf);
    this.starts.push(start);
    this.ends.push(end);
    this.byteLength += end - start;
  }

  send(lanes: Lanes): void {
    this.lanes = lanes;
    this.left = this.places.length;
    lanes.sendRun(this.entry, this.lane, this);
  }

  copyTo(out: Buffer, at: number): void {
    const { bufs, starts, ends } = this;
    this.sent = out;
    this.at = at;
    for (let k = 0; k < bufs.length; k++) ends[k] = at = copyRange(bufs[k], starts[k], ends[k], out, at);
    // The client's reads go now, not when the replies come: kept over a round trip, they outlived
    // the young heap's collections and made the old heap grow (a large share of smart mode's time
    // in collection).
    bufs.length = 0;
    starts.length = 0;
  }

  /** Request `k`, from the connection's write once copied there. */
  request(k: number): Buffer {
    if (this.sent === null) return this.bufs[k].subarray(this.starts[k], this.ends[k]);
    return this.sent.subarray(k === 0 ? this.at : this.ends[k - 1], this.ends[k]);
  }

  frameAt(buf: Buffer, start: number, end: number): void {
    const k = this.received++;
    if (this.received === this.places.length) this.lanes?.settled(this);
    this.batch.replyAt(this, k, buf, start, end);
  }

  failed(reason: string): void {
    const from = this.received;
    this.received = this.places.length;
    this.lanes?.settled(this);
    for (let k = from; k < this.places.length; k++) this.batch.failed(this, k, reason);
  }
}

/**
 * The single-node requests of one client read (GETs and SETs of a pipeline, mostly), wherever
 * their keys live: one NodeRun per node, and one place in the client's reply order. What one
 * request costs the tunnel is then its parse, its key's hash and an index. A reply that is an
 * error a cluster client acts on (MOVED, ASK, TRYAGAIN, CLUSTERDOWN), or one that never comes, is
 * the dispatcher's to handle for that one request, as if it had been sent alone; the batch's other
 * replies wait for its answer.
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
  /** Replies handed on; replies come but not handed on, and their bytes. */
  private passed = 0;
  private held = 0;
  private heldBytes = 0;
  private place: BatchPlace | null = null;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly planner: Planner,
  ) {}

  /**
   * Adds the request at `buf[start, end)` for `entry` on `lane`; a run of that node that it cannot
   * follow leaves now.
   */
  add(entry: NodeEntry, lane: Lane, buf: Buffer, start: number, end: number, lanes: Lanes): void {
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
    run.add(this.bufs.length, buf, start, end);
    this.bufs.push(AWAITED);
    this.starts.push(0);
    this.ends.push(0);
  }

  /** The batch is complete: its runs leave, and its replies go to `place` in order. */
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
  }

  /** The reply to `run`'s request `k` will not come, for `reason`. */
  failed(run: NodeRun, k: number, reason: string): void {
    this.recover(run, k, null, reason);
  }

  private fill(i: number, buf: Buffer, start: number, end: number): void {
    this.bufs[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
    this.held++;
    this.heldBytes += end - start;
    // Replies go on together once all have come (one buffer, one write), or sooner once many
    // bytes wait: a large reply is not held for the rest of the batch.
    if (this.passed + this.held === this.bufs.length || this.heldBytes >= BATCH_WRITE_BYTES) this.pass();
  }

  /** An error reply, or none: the dispatcher handles that one request as if it had been sent alone. */
  private recover(run: NodeRun, k: number, frame: Buffer | null, failure: string | undefined): void {
    const i = run.places[k];
    const request = run.request(k);
    const args = requestArgs(request);
    const route = this.planner.batchRoute(commandName(args), args.length);
    const slot = route ? hashSlot(args[route.key]) : 0;
    this.dispatcher.recover(frame, failure, run.entry, request, run.lane, slot, (reply) =>
      this.fill(i, reply, 0, reply.length),
    );
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
    this.held -= to - from;
    this.heldBytes -= bytes;
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
