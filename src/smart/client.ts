import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import { isSubFamily } from '../protocol/commands.js';
import type { Connector } from '../net/connector.js';
import { encodeCommand, errorReply } from '../resp/encode.js';
import { ProtocolError } from '../resp/errors.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { RequestParser } from '../resp/request-parser.js';
import { requestArgs } from '../rewrite/requests.js';
import type { NodeTable } from '../topology/node-table.js';
import { commandName } from './command-table.js';
import { Dispatcher } from './dispatch.js';
import { Lanes, type SharedUpstreams } from './lanes.js';
import { PubSub } from './pubsub.js';
import { Transaction } from './transaction.js';
import { merge } from './merge.js';
import { type Plan, type Planner } from './plan.js';
import { scanStep } from './scan.js';
import { ScriptCache, sendScript } from './scripts.js';
import { Upstream, Upstreams, helloFor } from './upstream.js';

/** What every smart client of one tunnel shares. */
export interface SmartContext {
  table: NodeTable;
  /** Plans requests by the server's command table. */
  planner: Planner;
  connector: Connector;
  auth: () => Buffer | null;
  /** Re-read the topology (after a MOVED, or a node that cannot be reached). */
  refresh: (reason: string) => Promise<boolean>;
  /** The tunnel's shared connections to the nodes. */
  shared: SharedUpstreams;
  /** Scripts clients sent, to load again where a failover lost them. */
  scripts: ScriptCache;
  maxFrameBytes: number;
  log: Logger;
}

/** One client's request and, once every part has answered, its reply. */
interface Job {
  reply: Buffer | null;
  /** QUIT: the connection closes once this reply (and every one before it) is written. */
  last?: boolean;
}

const OK = Buffer.from('+OK\r\n');

/** RESP2 in subscribed state: PING answers as an array, QUIT and RESET pass, the rest is refused. */
function subscribedReply(name: string, args: Buffer[]): Buffer {
  if (name === 'ping') {
    const arg = args[1] ?? Buffer.alloc(0);
    return Buffer.concat([
      Buffer.from('*2\r\n$4\r\npong\r\n'),
      Buffer.from(`$${arg.length}\r\n`),
      arg,
      Buffer.from('\r\n'),
    ]);
  }
  return errorReply(
    `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}

/** Requests a browser sends when a web page is tricked into talking to a Redis port. */
const HTTP_COMMANDS = new Set(['post', 'host:', 'get /', 'put']);

/**
 * One client connection in smart mode: the whole cluster looks like one server. Each request is
 * planned (one slot's master, split by slot, every master, or refused), sent over this client's
 * own upstream connections, and answered in request order.
 */
export class SmartClient {
  private readonly parser: RequestParser;
  private readonly jobs: Job[] = [];
  /** This client's own connections, per node. */
  private readonly upstreams = new Upstreams(
    (entry, forget) =>
      new Upstream(
        entry,
        this.ctx,
        () => this.protocol,
        (push) => this.socket.write(push),
        forget,
      ),
  );
  private readonly dispatcher: Dispatcher;
  private readonly tx: Transaction;
  private pubsub: PubSub | null = null;
  private readonly requests: FrameSplitter;
  private protocol = 2;
  private closed = false;
  private flushQueued = false;
  private quitting = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: SmartContext,
    private readonly log: Logger,
    private readonly onClose: (c: SmartClient) => void,
  ) {
    this.parser = new RequestParser({ names: [], maxFrameBytes: ctx.maxFrameBytes, keepArgs: true });
    this.requests = new FrameSplitter(this.parser, () => this.parser.inRequest);
    const lanes = new Lanes(
      ctx.shared,
      (entry) => this.upstreams.get(entry),
      () => this.protocol,
    );
    this.dispatcher = new Dispatcher(ctx, lanes);
    this.tx = new Transaction(ctx.table, ctx.planner.commands, lanes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => socket.resume());
    socket.on('error', (e: Error) => this.log.debug(`client error: ${describeError(e)}`));
    socket.on('close', () => this.close());
    socket.resume();
  }

  private readonly onRequest = (bytes: Buffer): boolean => {
    if (this.parser.argc > 0) this.request(this.parser.args ?? requestArgs(bytes), bytes);
    return !this.quitting; // nothing after QUIT is read
  };

  private onData(chunk: Buffer): void {
    try {
      this.requests.push(chunk, this.onRequest);
    } catch (e) {
      // As a server does: say what was wrong with the request, then close the connection.
      const why = e instanceof ProtocolError ? `Protocol error: ${e.message}` : describeError(e);
      this.log.info(
        `malformed request (${e instanceof ProtocolError ? e.code : 'error'}); closing this client`,
      );
      this.socket.end(errorReply(`ERR ${why}`));
      this.socket.pause();
    }
  }

  private request(args: Buffer[], bytes: Buffer): void {
    const name = commandName(args);
    if (HTTP_COMMANDS.has(name)) {
      // A browser's request reached the port: close, as Redis does, before it reaches a node.
      this.log.warn(`possible cross-protocol attack (${name.toUpperCase()} sent to the smart port); closing`);
      this.socket.destroy();
      return;
    }
    const job: Job = { reply: null };
    this.jobs.push(job);
    const done = (reply: Buffer): void => {
      job.reply = reply;
      // Replies that arrive together (one upstream chunk) go to the client as one write.
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(this.flush);
      }
    };
    if (this.tx.handle(name, args, bytes, done)) return;
    if (isSubFamily(name)) {
      this.pubsub ??= new PubSub(this.ctx, () => this.protocol, this.emit, this.log);
      return this.pubsub.handle(name, args, bytes, done);
    }
    if (this.protocol === 2 && this.pubsub?.active && name !== 'quit')
      return done(subscribedReply(name, args));
    let p: Plan;
    try {
      p = this.ctx.planner.plan(args, name);
    } catch (e) {
      return done(errorReply(`ERR redis-cluster-tunnel: ${describeError(e)}`));
    }
    if (name === 'hello') return this.hello(args, done);
    switch (p.kind) {
      case 'refuse':
        return done(errorReply(p.error));
      case 'local':
        this.quitting = true;
        job.last = true;
        return done(OK);
      case 'node':
        return sendScript(this.ctx.scripts, this.dispatcher, name, args, p.slot, bytes, p.lane, done);
      case 'scan':
        return scanStep(this.dispatcher, this.ctx.table, args, done);
      case 'fanout': {
        if (name === 'script' && args[1]?.toString('latin1').toLowerCase() === 'load' && args[2])
          this.ctx.scripts.remember(args[2]);
        const masters = this.ctx.table.masters();
        return this.gather(
          masters.map((m) => (cb) => this.dispatcher.sendTo(m, bytes, cb)),
          (r) => done(merge(p.merge, r)),
        );
      }
      case 'split':
        return this.gather(
          p.parts.map((part) => (cb) => this.dispatcher.send(part.slot, encodeCommand(part.args), cb)),
          (r) =>
            done(
              merge(
                p.merge,
                r,
                p.parts.map((x) => x.positions),
              ),
            ),
        );
    }
  }

  /** Runs every sender; calls `all` with the replies in sender order once each has answered. */
  private gather(senders: Array<(cb: (r: Buffer) => void) => void>, all: (replies: Buffer[]) => void): void {
    const replies: Buffer[] = new Array(senders.length);
    let left = senders.length;
    if (left === 0) return all([errorReply('CLUSTERDOWN redis-cluster-tunnel: no master serves slots')]);
    senders.forEach((send, i) =>
      send((r) => {
        replies[i] = r;
        if (--left === 0) all(replies);
      }),
    );
  }

  /**
   * HELLO changes the protocol of every upstream of this client: the home node answers it (AUTH
   * and SETNAME options dropped: the tunnel authenticates upstream). The other upstreams switch at
   * once, and new ones start in it, so requests pipelined behind HELLO get replies in the new one.
   */
  private hello(args: Buffer[], done: (r: Buffer) => void): void {
    const version = args.length > 1 ? Number(args[1].toString('latin1')) : 0;
    const known = version === 2 || version === 3;
    const request = known
      ? (helloFor(version, true) as Buffer)
      : encodeCommand(version ? ['HELLO', String(version)] : ['HELLO']);
    if (known && version !== this.protocol) {
      this.protocol = version;
      for (const u of this.upstreams.values()) u.send(request, () => {});
    }
    this.dispatcher.send(undefined, request, done, 'own');
  }

  /** A frame nobody asked for just now (a pub/sub confirmation or message): after every pending reply. */
  private readonly emit = (frame: Buffer): void => {
    this.jobs.push({ reply: frame });
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flush);
    }
  };

  /** Writes the replies that are ready, in request order. */
  private readonly flush = (): void => {
    this.flushQueued = false;
    let n = 0;
    while (n < this.jobs.length && this.jobs[n].reply !== null) n++;
    if (n === 0 || this.closed) return;
    const jobs = this.jobs.splice(0, n);
    const ready = jobs.map((j) => j.reply as Buffer);
    const ok = this.socket.write(ready.length === 1 ? ready[0] : Buffer.concat(ready));
    if (jobs[jobs.length - 1].last) return void this.socket.end();
    if (!ok) this.socket.pause(); // resumed on drain
  };

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.upstreams.close();
    this.pubsub?.close();
    this.onClose(this);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
