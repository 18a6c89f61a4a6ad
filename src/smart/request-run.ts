import { T_ERROR } from '../resp/types.js';
import { RequestParser } from '../resp/request-parser.js';
import { requestArgs } from '../rewrite/requests.js';
import { commandName } from '../protocol/command-table.js';
import { hashSlot } from '../topology/hash-slot.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { Dispatcher } from './dispatch.js';
import type { Lane, LaneRun, Lanes } from './lanes.js';
import type { Planner } from './plan.js';
import type { RunPlace } from './replies.js';

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
    const first = this.first;
    // A read may follow writes onto their connection, as Lanes would send it while they are in flight.
    if (entry !== this.entry || (lane !== this.lane && !(lane === 'shared' && this.lane === 'shared-write')))
      return false;
    if (request.buffer !== first.buffer || request.byteOffset !== first.byteOffset + this.length)
      return false;
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

/** The run a client is building from one read, sent at the read's end or when another kind of request comes. */
export class Runs {
  private current: RequestRun | null = null;

  constructor(
    private readonly planner: Planner,
    private readonly dispatcher: Dispatcher,
    private readonly lanes: Lanes,
    /** The request's place in the client's reply order. */
    private readonly place: () => RunPlace,
  ) {}

  /** Takes a request that may go in a run (see Planner.runRoute); false for any other. */
  add(args: Buffer[], bytes: Buffer, name: string): boolean {
    const route = this.planner.runRoute(args, name);
    const entry = route && this.dispatcher.target(this.planner.slotOf(args, route.key), route.lane);
    if (!route || !entry) return false;
    if (this.current?.extend(entry, route.lane, bytes)) return true;
    this.send();
    this.current = new RequestRun(entry, route.lane, bytes, this.place(), this.dispatcher, this.planner);
    return true;
  }

  /** Sends the run being built, if any. */
  send(): void {
    const run = this.current;
    this.current = null;
    run?.send(this.lanes);
  }
}

/** Stands in for a reply the dispatcher has yet to give, and for one already handed on. */
const AWAITED = Buffer.alloc(0);
