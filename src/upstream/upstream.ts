import type * as net from 'node:net';
import { describeError } from '../log.js';
import { Fifo } from '../protocol/pending.js';
import type { FileBudget } from '../net/file-budget.js';
import { READONLY, type UpstreamLink, helloFor, malformedReply } from './upstream-link.js';
import { NodeError } from '../net/node-error.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import {
  type FrameRun,
  type ReplyHandler,
  type SpanHandler,
  type SpanWaiter,
  type Waiter,
  isSpanWaiter,
  skipping,
  skippingRun,
} from './reply-waiters.js';
import { T_ATTRIBUTE, T_PUSH, isErrorType } from '../resp/types.js';
import type { NodeEntry } from '../topology/node-table.js';
import { SendTimes, replyKind } from '../net/node-stats.js';
import { SpanStream } from './span-stream.js';
import { type CopiedRequests, TurnWrites } from './turn-writes.js';
import type { NodeConnection } from './node-connection.js';
import type { NodeTarget } from '../topology/types.js';

/**
 * One smart-mode client's connection to one node: requests go out in order, and each complete
 * reply frame goes to the handler registered with its request. It opens itself on first use and
 * fails every waiting request, with the reason, when it cannot open or when it breaks.
 */
export class Upstream implements NodeConnection {
  readonly entry: NodeEntry;
  private socket: net.Socket | null = null;
  private opening: Promise<void> | null = null;
  private readonly handlers = new Fifo<Waiter>();
  private readonly scanner = new ReplyScanner();
  private readonly frames = new FrameSplitter(this.scanner, () => this.scanner.inFrame);
  /** Requests not written yet: those of one turn go as one write (once the socket is open). */
  private readonly writes = new TurnWrites((out) => {
    // Once per write, not per request: idleness only counts once nothing is waiting anyway.
    this.lastUsed = Date.now();
    this.times.wrote();
    this.times.stats.bytesToNode += out.length;
    (this.socket as net.Socket).write(out);
  });
  private dead: string | null = null;
  /** Closes once nothing waits on it (its node left, or moved: see Upstreams.retire). */
  private retiring = false;
  /** An attribute frame, held for the reply frame it belongs to. */
  private attribute: Buffer | null = null;
  /** Set when the connection could not be opened at all (the node is unreachable). */
  unreachable = false;
  /** The node's error reply when it refused this connection's login. */
  loginRefusal: Buffer | null = null;
  private lastUsed = Date.now();
  /** When each waiter's requests went out: the node's latency, requests, errors and bytes. */
  private readonly times: SendTimes;
  /** Span waiters' replies, streamed as they arrive. */
  private readonly spans: SpanStream;
  /**
   * The protocol the connection is in once everything queued on it so far has run: what it greets
   * with, then each HELLO sent through it (see Lanes, which keeps a client's own connection in the
   * protocol of each request it sends).
   */
  speaks: number;

  constructor(
    entry: NodeEntry,
    private readonly link: UpstreamLink,
    /** The protocol the connection starts in (3: HELLO 3 goes first on a new connection). */
    private readonly protocol: number,
    /**
     * Frames no request waits for: RESP3 pushes, and on a subscriber connection every
     * confirmation and message.
     */
    private readonly onPush: (frame: Buffer) => void,
    private readonly onClose: (u: Upstream) => void,
    /** READONLY goes first: a cluster replica then answers reads of its master's slots. */
    private readonly readOnly = false,
  ) {
    this.entry = entry;
    this.speaks = protocol;
    this.times = new SendTimes(link.stats.nodes.of(entry.node.id));
    this.spans = new SpanStream(this.scanner, this.times.stats, () =>
      link.log?.debug(`push frame on a shared connection to ${entry.target.label} dropped`),
    );
  }

  get target(): NodeTarget {
    return this.entry.target;
  }

  get broken(): boolean {
    return this.dead !== null;
  }

  /** Queues a request whose answers are not replies (SUBSCRIBE's confirmations): they go to onPush. */
  write(request: Buffer): void {
    if (this.dead !== null) return;
    this.queue(request);
  }

  /** Queues a request; `handler` gets its reply. */
  send(request: Buffer, handler: ReplyHandler): void {
    if (this.dead !== null) return handler(null, this.dead);
    this.handlers.push(handler);
    this.times.sent(1);
    this.queue(request);
  }

  /**
   * Queues `replies` requests, back to back in `request`, whose reply bytes stream to `span`
   * (pinned mode's shared lane: its session frames them again, and a large reply is never held
   * whole). The buffer is kept until the next turn of the event loop: a lent one must be copied.
   */
  sendSpans(request: Buffer, replies: number, span: SpanHandler): void {
    if (this.dead !== null) return span(null, replies, this.dead);
    this.handlers.push({ span, left: replies });
    this.times.sent(replies);
    this.queue(request);
  }

  /** Queues `run.left` requests, back to back in `request`, whose reply frames go to `run`. */
  sendRun(request: Buffer | CopiedRequests, run: FrameRun): void {
    if (this.dead !== null) return run.failed(this.dead);
    this.handlers.push(run);
    this.times.sent(run.left);
    this.queue(request);
  }

  /** How long nothing has been waiting on this connection (0 while something is: no clock read). */
  idleMs(): number {
    return this.handlers.length > 0 ? 0 : Date.now() - this.lastUsed;
  }

  private queue(request: Buffer | CopiedRequests): void {
    this.writes.add(request, this.socket !== null);
    if (!this.socket) this.opening ??= this.open();
  }

  /**
   * A fresh credential (an expiring token): AUTH goes out behind the requests already queued, so
   * every later request runs under it. A connection still opening sends it right after its own.
   */
  reauth(request: Buffer, done: (ok: boolean, reply: string) => void): void {
    if (this.dead !== null) return;
    this.send(request, (frame, failure) => {
      if (frame) done(!isErrorType(frame[0]), frame.toString('latin1', 0, 200).trim());
      else done(false, failure ?? 'no reply');
    });
  }

  close(): void {
    this.socket?.destroy();
    this.fail('closed');
  }

  /** Closes once every request on it is answered; at once when none is waiting. */
  retire(): void {
    this.retiring = true;
    if (this.handlers.length === 0) this.close();
  }

  private async open(): Promise<void> {
    const { files, connector } = this.link;
    const opening = () => connector.open(this.entry.target, this.link.auth());
    let open;
    try {
      open = files ? await files.open(opening) : await opening();
      if (!open) return this.fail((files as FileBudget).refusal());
    } catch (e) {
      if (e instanceof NodeError && e.reply) this.loginRefusal = e.reply;
      this.link.stats.error('unreachable');
      this.unreachable = true;
      return this.fail(
        `cannot reach node ${this.entry.target.label}: ${describeError(e, { withNode: false })}`,
      );
    }
    if (this.dead !== null) return void open.socket.destroy();
    const socket = (this.socket = open.socket);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e: Error) => this.fail(`node ${this.entry.target.label}: ${describeError(e)}`));
    socket.on('close', () => this.fail(`node ${this.entry.target.label} closed the connection`));
    // The node closed its side (it stopped or restarted): nothing more will come, and a subscriber
    // connection would never write again to find out.
    socket.on('end', () => socket.destroy());
    // Their replies are the first frames, ahead of every queued request's.
    for (const greeting of [helloFor(this.protocol), this.readOnly ? READONLY : null]) {
      if (!greeting) continue;
      this.handlers.unshift(() => {});
      this.times.sentFirst();
      socket.write(greeting);
    }
    this.writes.flush();
    if (open.pending) this.onData(open.pending);
    socket.resume();
  }

  private onData(chunk: Buffer): void {
    this.times.stats.bytesFromNode += chunk.length;
    this.times.reading();
    try {
      let rest = chunk;
      while (rest.length > 0) {
        let head = this.handlers.peek();
        if (head !== undefined && !isSpanWaiter(head) && head.gone?.() && !this.scanner.inFrame)
          head = this.skip(head);
        if (head !== undefined && isSpanWaiter(head)) {
          rest = rest.subarray(this.stream(head, rest));
          continue;
        }
        // Whole frames, until a span waiter is next.
        let stop = -1;
        const r = rest;
        this.frames.pushInPlace(r, (buf, start, end, next) => {
          this.deliver(buf, start, end);
          const head = this.handlers.peek();
          if (head === undefined || next === r.length) return true;
          if (!isSpanWaiter(head) && !head.gone?.()) return true;
          stop = next;
          return false;
        });
        if (stop < 0) break;
        rest = rest.subarray(stop);
      }
      if (this.retiring && this.handlers.length === 0) this.close();
    } catch (e) {
      this.socket?.destroy();
      this.fail(malformedReply(this.link, this.entry.target.label, e));
    }
  }

  /** The replies due to `waiter`, whose requester is gone, are streamed past, not joined (see ReplyHandler). */
  private skip(waiter: ReplyHandler | FrameRun): SpanWaiter {
    const skipper = typeof waiter === 'function' ? skipping(waiter) : skippingRun(waiter);
    this.handlers.shift();
    this.handlers.unshift(skipper);
    return skipper;
  }

  /** The frame `buf[start, end)`: a push, an attribute, or the reply of the waiter at the head. */
  private deliver(buf: Buffer, start: number, end: number): void {
    const type = buf[start];
    if (type === T_PUSH) return this.onPush(buf.subarray(start, end));
    // An attribute belongs to the reply after it: they go to its handler together.
    if (type === T_ATTRIBUTE) {
      const frame = buf.subarray(start, end);
      this.attribute = this.attribute ? Buffer.concat([this.attribute, frame]) : Buffer.from(frame);
      return;
    }
    if (this.attribute) {
      buf = Buffer.concat([this.attribute, buf.subarray(start, end)]);
      start = 0;
      end = buf.length;
      this.attribute = null;
    }
    const head = this.handlers.peek() as ReplyHandler | FrameRun | undefined;
    if (head === undefined) return this.onPush(buf.subarray(start, end));
    if (typeof head === 'function') {
      this.handlers.shift();
      this.times.answered(replyKind(buf, start));
      return head(buf.subarray(start, end));
    }
    // A run: one latency sample when its last reply comes; errors and redirects counted each. Its
    // replies are read in place: a view per reply was a large part of a run's cost.
    this.times.stats.count(replyKind(buf, start));
    if (--head.left === 0) {
      this.handlers.shift();
      this.times.answered('ok');
    }
    head.frameAt(buf, start, end);
  }

  private stream(waiter: SpanWaiter, chunk: Buffer): number {
    return this.spans.feed(waiter, chunk, () => {
      this.handlers.shift();
      this.times.answered('ok');
    });
  }

  private fail(reason: string): void {
    if (this.dead !== null) return;
    this.dead = reason;
    this.times.clear();
    for (const w of this.handlers.drain()) {
      if (typeof w === 'function') w(null, reason);
      else if (isSpanWaiter(w)) w.span(null, w.left, reason);
      else w.failed(reason);
    }
    this.onClose(this);
  }
}
