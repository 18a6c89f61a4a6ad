import type * as net from 'node:net';
import { describeError } from '../log.js';
import type { Connector } from '../net/connector.js';
import type { TunnelStats } from '../net/stats.js';
import { Fifo } from '../protocol/pending.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { encodeCommand } from '../resp/encode.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { T_PUSH } from '../resp/types.js';
import type { NodeEntry } from '../topology/node-table.js';

/** How an upstream reaches its node: the tunnel's connector and current AUTH request. */
export interface UpstreamLink {
  connector: Connector;
  auth: () => Buffer | null;
  /** Where a node that cannot be reached is counted. */
  stats: TunnelStats;
}

const HELLO2 = encodeCommand(['HELLO', '2']);
const HELLO3 = encodeCommand(['HELLO', '3']);

/** The HELLO that switches a connection to `protocol`; null for RESP2, which needs none to start. */
export function helloFor(protocol: number, evenForResp2 = false): Buffer | null {
  if (protocol === 3) return HELLO3;
  return evenForResp2 ? HELLO2 : null;
}

/** Called with one complete reply frame, or with the reason the node could not answer. */
export type ReplyHandler = (frame: Buffer | null, failure?: string) => void;

/**
 * One smart-mode client's connection to one node: requests go out in order, and each complete
 * reply frame goes to the handler registered with its request. It opens itself on first use and
 * fails every waiting request, with the reason, when it cannot open or when it breaks.
 */
export class Upstream {
  readonly entry: NodeEntry;
  private socket: net.Socket | null = null;
  private opening: Promise<void> | null = null;
  private readonly handlers = new Fifo<ReplyHandler>();
  private readonly scanner = new ReplyScanner();
  private readonly frames = new FrameSplitter(this.scanner, () => this.scanner.inFrame);
  /** Requests not written yet: gathered while one client chunk is handled, written as one. */
  private outbox: Buffer[] = [];
  private flushQueued = false;
  private dead: string | null = null;

  constructor(
    entry: NodeEntry,
    private readonly link: UpstreamLink,
    /** The protocol the connection must speak (3: HELLO 3 goes first on a new connection). */
    private readonly protocol: () => number,
    /**
     * Frames no request waits for: RESP3 pushes, and on a subscriber connection every
     * confirmation and message.
     */
    private readonly onPush: (frame: Buffer) => void,
    private readonly onClose: (u: Upstream) => void,
  ) {
    this.entry = entry;
  }

  get broken(): boolean {
    return this.dead !== null;
  }

  /** Queues a request whose answers are not replies (SUBSCRIBE's confirmations): they go to onPush. */
  write(request: Buffer): void {
    if (this.dead !== null) return;
    this.outbox.push(request);
    if (!this.socket) this.opening ??= this.open();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flush);
    }
  }

  /** Queues a request; `handler` gets its reply. */
  send(request: Buffer, handler: ReplyHandler): void {
    if (this.dead !== null) return handler(null, this.dead);
    this.handlers.push(handler);
    this.outbox.push(request);
    if (!this.socket) {
      this.opening ??= this.open();
    } else if (!this.flushQueued) {
      // One TLS record and one syscall for a whole pipeline, not one per request.
      this.flushQueued = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    if (!this.socket || this.outbox.length === 0) return;
    this.socket.write(this.outbox.length === 1 ? this.outbox[0] : Buffer.concat(this.outbox));
    this.outbox = [];
  };

  close(): void {
    this.socket?.destroy();
    this.fail('closed');
  }

  private async open(): Promise<void> {
    let open;
    try {
      open = await this.link.connector.open(this.entry.target, this.link.auth());
    } catch (e) {
      this.link.stats.error('unreachable');
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
    const greeting = helloFor(this.protocol());
    if (greeting) {
      // Its reply is the first frame, ahead of every queued request's.
      this.handlers.unshift(() => {});
      socket.write(greeting);
    }
    this.flush();
    if (open.pending) this.onData(open.pending);
    socket.resume();
  }

  private onData(chunk: Buffer): void {
    try {
      this.frames.push(chunk, (frame) => this.deliver(frame));
    } catch (e) {
      this.socket?.destroy();
      this.fail(`malformed reply from node ${this.entry.target.label}: ${describeError(e)}`);
    }
  }

  private deliver(frame: Buffer): void {
    if (frame[0] === T_PUSH) return this.onPush(frame);
    const handler = this.handlers.shift();
    if (handler) handler(frame);
    else this.onPush(frame);
  }

  private fail(reason: string): void {
    if (this.dead !== null) return;
    this.dead = reason;
    for (const h of this.handlers.drain()) h(null, reason);
    this.onClose(this);
  }
}

/**
 * Upstreams by node, one each: made on first use, and made again once one breaks. `make` gets
 * the close hook that forgets a broken one.
 */
export class Upstreams {
  private readonly byNode = new Map<NodeEntry, Upstream>();

  constructor(private readonly make: (entry: NodeEntry, forget: (u: Upstream) => void) => Upstream) {}

  get(entry: NodeEntry): Upstream {
    let u = this.byNode.get(entry);
    if (!u || u.broken) {
      u = this.make(entry, (gone) => {
        if (this.byNode.get(gone.entry) === gone) this.byNode.delete(gone.entry);
      });
      this.byNode.set(entry, u);
    }
    return u;
  }

  values(): IterableIterator<Upstream> {
    return this.byNode.values();
  }

  close(): void {
    for (const u of this.byNode.values()) u.close();
    this.byNode.clear();
  }
}
