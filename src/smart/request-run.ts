import { T_ERROR } from '../resp/types.js';
import { RequestParser } from '../resp/request-parser.js';
import { requestArgs } from '../rewrite/requests.js';
import { commandName } from '../protocol/command-table.js';
import { hashSlot } from '../topology/hash-slot.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { Dispatcher } from './dispatch.js';
import type { Lane, LaneRun, Lanes } from './lanes.js';
import type { Planner } from './plan.js';
import type { ReplyQueue, RunPlace } from './replies.js';

/**
 * Consecutive single-node requests from one read of a client, bound for one node on one lane
 * (GETs and SETs of a pipeline, mostly). They leave as one write, the bytes as the client sent
 * them, with one reply waiter, and take one place in the client's reply order: what one request
 * costs the tunnel is then its parse and its key's hash. A reply that is an error a cluster client
 * acts on (MOVED, ASK, TRYAGAIN, CLUSTERDOWN), or one that never comes, is the dispatcher's to
 * handle for that one request, as if it had been sent alone.
 */
export class RequestRun implements LaneRun {
  /** Replies still due from the connection (it counts them down once the run is sent). */
  left = 0;
  settled: (() => void) | null = null;
  private count = 1;
  private length: number;
  /** The replies in order; AWAITED where the dispatcher has yet to answer for the request. */
  private readonly frames: Buffer[] = [];
  /** Replies that came (or failed) from the connection. */
  private received = 0;
  /** Replies handed on to the client's place in the order. */
  private passed = 0;

  constructor(
    readonly entry: NodeEntry,
    readonly lane: Lane,
    private readonly first: Buffer,
    private readonly place: RunPlace,
    private readonly dispatcher: Dispatcher,
    private readonly planner: Planner,
  ) {
    this.length = first.length;
  }

  /**
   * Takes `request` into the run when it goes to the same node and lane and its bytes follow the
   * run's in memory (the same client read), so the run stays one view and is never copied.
   */
  extend(entry: NodeEntry, lane: Lane, request: Buffer): boolean {
    if (!joins(entry, lane, request, this.entry, this.lane, this.first, this.length)) return false;
    this.length += request.length;
    this.count++;
    return true;
  }

  send(lanes: Lanes): void {
    this.left = this.count;
    const bytes =
      this.count === 1 ? this.first : Buffer.from(this.first.buffer, this.first.byteOffset, this.length);
    lanes.sendRun(this.entry, this.lane, bytes, this);
  }

  frame(frame: Buffer): void {
    const i = this.received++;
    const unusual = frame[0] === T_ERROR;
    this.frames.push(unusual ? AWAITED : frame);
    if (this.received === this.count) this.settled?.();
    if (unusual) this.recover(i, frame, undefined);
    else this.pass();
  }

  failed(reason: string): void {
    const from = this.received;
    this.received = this.count;
    this.settled?.();
    for (let i = from; i < this.count; i++) this.frames.push(AWAITED);
    for (let i = from; i < this.count; i++) this.recover(i, null, reason);
  }

  /** Request `i`'s reply is the dispatcher's to deal with: a redirect to follow, a retry... */
  private recover(i: number, frame: Buffer | null, failure: string | undefined): void {
    const request = this.nth(i);
    const args = requestArgs(request);
    const route = this.planner.runRoute(args, commandName(args));
    const slot = route ? hashSlot(args[route.key]) : 0;
    this.dispatcher.recover(frame, failure, this.entry, request, this.lane, slot, (reply) => {
      this.frames[i] = reply;
      this.pass();
    });
  }

  /** Hands on the replies that are next in order, and lets go of them. */
  private pass(): void {
    const frames = this.frames;
    if (this.passed === this.count) return;
    while (this.passed < frames.length && frames[this.passed] !== AWAITED) {
      this.place.add(frames[this.passed]);
      frames[this.passed++] = AWAITED;
    }
    if (this.passed === this.count) this.place.end();
  }

  /** The bytes of the run's request `i` (read again: only a reply that went wrong needs them). */
  private nth(i: number): Buffer {
    const bytes = Buffer.from(this.first.buffer, this.first.byteOffset, this.length);
    const parser = new RequestParser({ names: [] });
    let start = 0;
    for (let k = 0; k < i; k++) start = parser.next(bytes, start);
    return bytes.subarray(start, parser.next(bytes, start));
  }
}

/**
 * Whether a request for `entry` on `lane`, whose bytes are `request`, can join a run for `runEntry`
 * on `runLane` whose bytes so far are `length` bytes from `first`: the same node, the same lane (a
 * read may follow writes onto their connection, as Lanes sends it while they are in flight), and
 * bytes that follow the run's in memory (the same client read), so the run stays one view.
 */
function joins(
  entry: NodeEntry,
  lane: Lane,
  request: Buffer,
  runEntry: NodeEntry,
  runLane: Lane,
  first: Buffer,
  length: number,
): boolean {
  if (entry !== runEntry || (lane !== runLane && !(lane === 'shared' && runLane === 'shared-write')))
    return false;
  return request.buffer === first.buffer && request.byteOffset === first.byteOffset + length;
}

/**
 * The run a client is building from one read, sent at the read's end or when another kind of
 * request comes. A request that no other joins goes on its own, as any request does: a run is
 * made only for two or more, where it saves more than it costs.
 */
export class Runs {
  private current: RequestRun | null = null;
  /** The request that may start a run, not sent yet (entry null: none). */
  private entry: NodeEntry | null = null;
  private lane: Lane = 'shared';
  private bytes: Buffer = EMPTY;
  private slot = 0;

  constructor(
    private readonly planner: Planner,
    private readonly dispatcher: Dispatcher,
    private readonly lanes: Lanes,
    private readonly replies: ReplyQueue,
  ) {}

  /** Takes a request that may go in a run (see Planner.runRoute); false for any other. */
  add(args: Buffer[], bytes: Buffer, name: string): boolean {
    const route = this.planner.runRoute(args, name);
    if (!route) return false;
    const slot = this.planner.slotOf(args, route.key);
    const entry = this.dispatcher.target(slot, route.lane);
    if (!entry) return false;
    if (this.current?.extend(entry, route.lane, bytes)) return true;
    const alone = this.entry;
    if (alone && joins(entry, route.lane, bytes, alone, this.lane, this.bytes, this.bytes.length)) {
      const run = new RequestRun(
        alone,
        this.lane,
        this.bytes,
        this.replies.takeRun(),
        this.dispatcher,
        this.planner,
      );
      run.extend(entry, route.lane, bytes);
      this.entry = null;
      this.current = run;
      return true;
    }
    this.send();
    this.entry = entry;
    this.lane = route.lane;
    this.bytes = bytes;
    this.slot = slot;
    return true;
  }

  /** Sends the run being built, or the one request waiting for a second. */
  send(): void {
    const run = this.current;
    if (run) {
      this.current = null;
      return run.send(this.lanes);
    }
    const entry = this.entry;
    if (!entry) return;
    this.entry = null;
    this.dispatcher.sendTo(entry, this.bytes, this.replies.take(), this.lane, this.slot);
    this.bytes = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

/** Stands in for a reply the dispatcher has yet to give, and for one already handed on. */
const AWAITED = Buffer.alloc(0);
