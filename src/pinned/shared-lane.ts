import type { ClientRequests } from '../client/requests.js';
import type { AuthAttempt } from '../protocol/local-auth.js';
import type { Login } from '../protocol/login.js';
import { type ParsedRequest, REWRITTEN_COMMANDS } from '../protocol/commands.js';
import {
  type LaneOwner,
  MAX_LABELS,
  MAX_SHARED_REQUEST_BYTES,
  type ReadRequest,
  SHARED_WINDOW,
} from './lane-rules.js';
import { type SharedStep, multibulkOf, sharedStep } from '../protocol/shared-steps.js';
import { protocolErrorReply } from '../resp/encode.js';
import { ProtocolError } from '../resp/errors.js';
import type { FrameEnds } from '../resp/frame-ends.js';
import type { SpanSender } from './primary-sender.js';
import { type HotKeys, SAMPLE_EVERY } from '../net/hot-keys.js';

const PIN: SharedStep = { step: 'pin' };
/** No run being read: the lane keeps no reference to a read buffer (a large one) between reads. */
const NO_RUN = Buffer.alloc(0);
const DRAIN: SharedStep = { step: 'drain' };
/** A request the lane could not read, as the reply tracker takes it: one reply, no known command. */
const UNREAD_REQUEST: ParsedRequest = { argc: 1, name: null, arg1: null, arg2: null };

/** A request that waits, as read (at the start of `bytes`), and what follows it. */
interface Stalled extends ReadRequest {
  bytes: Buffer[];
  step: SharedStep;
}

/**
 * Pinned mode's shared lane: one client's way onto the node's shared connection, where the
 * requests of many clients go out in one TLS record per turn of the event loop and their replies
 * come back in order. Only whole requests go, and only those the CommandPolicy shares; the others
 * go only as their SharedStep allows (labels, HELLO, QUIT, see there). At the first request that
 * would change or hold a connection, one that is malformed or large, or one past SHARED_WINDOW,
 * the lane stops, keeps every byte from that request on in `held`, and asks for the client's own
 * connection (`pin`), which takes `held` once every shared request has been answered.
 */
export class SharedLane {
  /** This client's requests sent on the shared connection and not answered yet. */
  inflight = 0;
  /** Once pinned: the client's bytes from the pinning request on, for its own connection. */
  held: Buffer[] | null = null;
  /** The pinning request as read, and its length at the start of `held`: it is not read again. */
  heldFirst: ReadRequest | null = null;
  /** The labels set on the shared connection (see SharedStep), the last of each in the order last set. */
  readonly labels = new Map<string, Buffer>();
  /** The client's requests in flight are on the connection for writes (a write pause holds it only). */
  private writes = false;
  /** Whether any of the client's requests took the shared connection for writes (see WaitMarkers). */
  wrote = false;
  /** The protocol the client speaks: which of the node's shared connections it takes. */
  private protocol: 2 | 3 = 2;
  /** The login a node accepted from the client (null: the tunnel's), its own connection's too. */
  login: Login | null = null;
  /** A request waiting for every earlier one's reply (a protocol switch, a write, a tunnel answer). */
  private stalled: Stalled | null = null;
  /** The run being read, and `count` plain shared requests of it in [sendFrom, sendTo), not sent. */
  private run: Buffer = NO_RUN;
  private sendFrom = 0;
  private sendTo = 0;
  private count = 0;
  private failed = false;
  /** The client is being ended (a request it sent could not be read): its later bytes are dropped. */
  private ending = false;
  /** Shared requests counted for hot-key sampling (one in SAMPLE_EVERY gives its key). */
  private sampled: number;

  constructor(
    private readonly owner: LaneOwner,
    /** The client's requests, cut whole from its runs (lent: read into a reused buffer). */
    private readonly requests: ClientRequests,
    /** The node's hot keys, which take a sampled request's key; null: no sampling. */
    private readonly hotKeys: HotKeys | null = null,
    /** Where this lane's count starts, so clients that send one request each are sampled too. */
    sampleOffset = 0,
  ) {
    this.sampled = sampleOffset;
  }

  /** Request bytes, in order (lent: valid only during the call). */
  push(run: Buffer): void {
    if (this.ending) return;
    const waiting = this.held ?? this.stalled?.bytes;
    if (waiting) {
      waiting.push(Buffer.from(run));
      return;
    }
    this.run = run;
    this.sendFrom = this.sendTo = this.count = 0;
    try {
      this.requests.read(run, this.onRequest);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      // Answered here, in the node's words, once the replies before it are in; then the client is
      // ended and the rest of its bytes dropped, as a node closes the connection. Not passed to a
      // node: even on a connection of its own, a node that closes with the client's bytes unread
      // resets it, and its answer can be lost on the way.
      this.flush(); // the requests before it go first; then the run is let go
      this.run = NO_RUN;
      this.requests.takePartial();
      this.owner.malformed(e);
      this.ending = true;
      const answer: SharedStep = { step: 'answer', reply: protocolErrorReply(e), close: true };
      return void this.stall([], answer, 0, UNREAD_REQUEST);
    }
    this.flush();
    this.run = NO_RUN;
    if (this.requests.partialBytes > MAX_SHARED_REQUEST_BYTES) {
      const why = `a request over ${MAX_SHARED_REQUEST_BYTES / 1024} KiB streams on its own connection`;
      this.hold(this.requests.takePartial(), null, why);
    }
  }

  /**
   * One whole request, `buf[start, end)`: `buf` is the pushed run, or the request joined from
   * several runs. Plain shared requests of the run gather into one send; false stops the run here.
   */
  private readonly onRequest = (read: Buffer, from: number, to: number, next: number): boolean => {
    const p = this.requests.parser;
    let buf = read;
    let start = from;
    let end = to;
    // An inline line's words, split into buffers once (sharedStep below takes them too).
    let words: Buffer[] | null = null;
    if (p.inline && p.argc > 0) {
      // Others' requests share the node's query buffer: an inline line goes on as the multibulk
      // the node would read from it (made once, from the words the parser split), or, when it
      // holds a NUL (which the node reads otherwise), on the client's own connection, where the
      // node's reading reaches only that client. Made, it is a request joined from several runs.
      words = p.placedArgs();
      const request = words && multibulkOf(read.subarray(from, to), words);
      if (!request)
        return this.pin(read, from, next, 'an inline command the tunnel cannot read as the node would');
      buf = request;
      start = 0;
      end = request.length;
    }
    const joined = buf !== this.run;
    const placement = this.requests.placement();
    // What the tunnel rewrites (see LaneOwner.rewrite) is the session's, on the own connection.
    const rewritten =
      p.name !== null && REWRITTEN_COMMANDS.has(p.name) ? this.owner.rewrite(buf.subarray(start, end)) : null;
    if (rewritten) {
      const why = `${(p.name as string).toUpperCase()} is rewritten on the client's own connection`;
      return this.pin(buf, start, next, why, rewritten);
    }
    if (placement === 'shared' || placement === 'shared-write') {
      const writes = placement === 'shared-write';
      if (writes) this.wrote = true;
      // The key is read where the parser found it (in the run, or -1 when it spanned runs).
      if (this.hotKeys && ++this.sampled % SAMPLE_EVERY === 0 && p.argLengths[1] >= 0) {
        const at = p.argStarts[1];
        if (this.requests.reading.policy.keyIsFirst(p.name as string))
          this.hotKeys.add((p.argBuffers[1] as Buffer).subarray(at, at + p.argLengths[1]));
      }
      // A request takes the connection of its kind when none of the client's is in flight; a
      // read follows writes in flight (read-your-writes), a write waits for reads in flight.
      if (this.inflight + this.count === 0) this.writes = writes;
      else if (writes && !this.writes)
        return this.stall(this.rest(buf, start, next), DRAIN, end - start, this.requests.parsed());
    } else if (placement !== null) {
      // The policy's allow-list: a command it does not name as shared never goes on as is.
      const request = buf.subarray(start, end);
      const step =
        p.name === null ? PIN : sharedStep(p.name, request, this.protocol, words ?? p.placedArgs());
      if (step.step === 'pin' || (step.step === 'label' && !this.label(step.key, request))) {
        const what = p.name === null ? 'a command the tunnel does not share' : p.name.toUpperCase();
        return this.pin(buf, start, next, `${what} needs a connection of its own`);
      }
      if (step.step === 'protocol' || step.step === 'answer' || step.step === 'login')
        return this.stall(this.rest(buf, start, next), step, request.length, this.requests.parsed());
    }
    const replies = p.argc > 0 ? 1 : 0;
    if (this.inflight + this.count + replies > SHARED_WINDOW)
      return this.pin(buf, start, next, `more than ${SHARED_WINDOW} requests in flight`);
    // Tracked before it goes, and only once it is sure to go here (a pinned one is the session's).
    this.owner.track(p);
    if (joined) {
      // A request joined from several runs, or made from an inline line, is a copy already; the
      // run's requests before it go first.
      this.flush();
      this.send(buf, replies);
      this.sendFrom = next;
    } else {
      this.count += replies;
    }
    this.sendTo = next;
    return true;
  };

  /** The request at `buf[start…]` and the rest of the run after it (copies: a run is lent). */
  private rest(buf: Buffer, start: number, next: number): Buffer[] {
    if (buf === this.run) return [Buffer.from(buf.subarray(start))];
    return [buf.subarray(start), Buffer.from(this.run.subarray(next))];
  }

  /** Records a label (a copy); false when the client has set too many (it takes its own). */
  private label(key: string, request: Buffer): boolean {
    if (!this.labels.delete(key) && this.labels.size >= MAX_LABELS) return false;
    this.labels.set(key, Buffer.from(request));
    return true;
  }

  /** Holds `bytes` (a request, `length` bytes, then the rest) until nothing is in flight; false. */
  private stall(bytes: Buffer[], step: SharedStep, length: number, request: ParsedRequest): false {
    this.flush();
    this.stalled = { bytes, step, length, request };
    if (this.inflight === 0) this.unstall();
    return false;
  }

  /** Every earlier request is answered: the held one is served, and what followed goes on. */
  private unstall(): void {
    const stalled = this.stalled as Stalled;
    if (stalled.step.step === 'login') return this.logIn(stalled.step.attempt, stalled);
    const { bytes: parts, step, length } = stalled;
    this.stalled = null;
    const bytes = Buffer.concat(parts);
    if (step.step === 'drain' || step.step === 'protocol') {
      // It goes as it was read, then what followed it: a write on the connection for writes,
      // HELLO in the lane's new protocol as a label of that connection.
      const request = bytes.subarray(0, length);
      if (step.step === 'drain') this.writes = true;
      else if (!this.label('hello', request))
        return void this.hold([bytes], stalled, 'HELLO needs a connection of its own');
      else this.protocol = step.protocol;
      this.owner.track(stalled.request);
      this.send(request, 1);
      this.push(bytes.subarray(length));
    } else if (step.step === 'answer') {
      this.owner.track(stalled.request);
      this.owner.reply(step.reply);
      if (step.close) {
        this.ending = true; // nothing after QUIT, or after a request it could not read, is read
        return this.owner.close();
      }
      this.push(bytes.subarray(length));
    }
    if (this.inflight === 0 && !this.stalled) this.owner.idle();
  }

  /**
   * AUTH: a node checks it while later requests wait (they join `stalled`); the check counts as a
   * request in flight, so the client is not ended under it.
   */
  private logIn(attempt: AuthAttempt, stalled: Stalled): void {
    this.inflight++;
    this.owner.track(stalled.request);
    this.owner.checkLogin(attempt, this.protocol, (login, reply) => {
      this.inflight--;
      if (this.failed) return;
      this.stalled = null;
      if (login !== undefined) this.login = login;
      this.owner.reply(reply);
      this.push(Buffer.concat(stalled.bytes).subarray(stalled.length));
      if (this.inflight === 0 && !this.stalled) this.owner.idle();
    });
  }

  /** Sends the run's gathered plain requests, [sendFrom, sendTo), if any (a copy: the run is lent). */
  private flush(): void {
    if (this.count === 0) return;
    this.send(Buffer.from(this.run.subarray(this.sendFrom, this.sendTo)), this.count);
    this.sendFrom = this.sendTo;
    this.count = 0;
  }

  /** Sends `request` (not lent), holding `count` requests, on the shared connection of its kind. */
  private send(request: Buffer, count: number): void {
    if (count === 0) return;
    const upstream = this.owner.upstream(this.protocol, this.login, this.writes);
    this.inflight += count;
    upstream.sendSpans(request, count, (span, frames, failure, ends) =>
      this.settle(upstream, span, frames, failure, ends),
    );
  }

  private settle(
    upstream: SpanSender,
    span: Buffer | null,
    frames: number,
    failure?: string,
    ends?: FrameEnds,
  ): void {
    this.inflight -= frames;
    if (this.failed) return;
    if (!span) {
      this.failed = true;
      this.owner.broken(upstream, failure ?? 'the shared connection closed');
      return;
    }
    if (span.length > 0) this.owner.reply(span, ends);
    if (this.inflight > 0) return;
    if (this.stalled) this.unstall();
    else this.owner.idle();
  }

  /** Keeps the pinning request (`buf[start…]`) and all that follows; false: the run is read no further. */
  private pin(buf: Buffer, start: number, next: number, why: string, rewritten?: Buffer): false {
    this.flush();
    // It is `buf[start, next)` of the run, or `buf` joined from several or made from an inline
    // line (one kept as it came goes so on the own connection, where the node reads it).
    const length = (buf === this.run ? next : buf.length) - start;
    const first = { request: this.requests.parsed(), length, rewritten };
    return this.hold(this.rest(buf, start, next), first, why);
  }

  /** Keeps `held` for the client's own connection, which it asks for (`first`: its first request, read). */
  private hold(held: Buffer[], first: ReadRequest | null, why: string): false {
    this.held = held;
    this.heldFirst = first;
    this.owner.pin(why);
    return false;
  }
}
