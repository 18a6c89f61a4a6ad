import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import { isSubFamily } from '../protocol/commands.js';
import { gate } from '../protocol/local-auth.js';
import type { Login } from '../protocol/login.js';
import { encodeCommand, errorReply } from '../resp/encode.js';
import { requestArgs } from '../rewrite/requests.js';
import { commandName } from '../protocol/command-table.js';
import type { SmartContext } from './context.js';
import { Dispatcher } from './dispatch.js';
import { Lanes } from './lanes.js';
import { closedCrossProtocol, malformedReply, subscribedReply } from './local-replies.js';
import { loginAttempt } from '../upstream/login-check.js';
import { Monitor } from './monitor.js';
import type { Plan } from './plan.js';
import { PubSub } from './pubsub.js';
import { ReplyQueue } from './replies.js';
import { runPlan } from './run-plan.js';
import { HeldRequests } from './held-requests.js';
import { type LoginHost, logIn } from './log-in.js';
import { Batches } from './batches.js';
import { hello } from './hello.js';
import { Tracking } from './tracking.js';
import { Transaction } from './transaction.js';
import { Upstream } from '../upstream/upstream.js';
import { helloFor } from '../upstream/upstream-link.js';
import { Upstreams } from '../upstream/upstreams.js';
import { ClientConnection } from '../client/connection.js';
import { ClientRequests } from '../client/requests.js';

const OK = Buffer.from('+OK\r\n');
const RESET = Buffer.from('+RESET\r\n');

/**
 * One client connection in smart mode: the whole cluster looks like one server. Each request is
 * planned (one slot's master, split by slot, every master, or refused), sent over this client's
 * own upstream connections, and answered in request order.
 */
export class SmartClient {
  private readonly replies: ReplyQueue;
  /**
   * This client's own connections, per node. Their pushes (tracking invalidations) reach the client
   * after the replies pending then, so never ahead of a reply that came before them.
   */
  private readonly upstreams = new Upstreams((entry, forget, protocol) => {
    const u = new Upstream(entry, this.link, protocol, this.emit, (gone) => {
      forget(gone);
      if (!this.closed) this.tracking.lost();
    });
    this.tracking.opened((request) => u.send(request, () => {}));
    return u;
  });
  private readonly dispatcher: Dispatcher;
  private readonly lanes: Lanes;
  private readonly tracking: Tracking;
  private tx: Transaction;
  private pubsub: PubSub | null = null;
  private monitor: Monitor | null = null;
  /** The client's requests, read as both modes read them (each chunk a copy of the read: not lent). */
  private readonly requests: ClientRequests;
  private protocol = 2;
  /** The login the client made itself (null: the tunnel's): every connection serving it uses it. */
  private login: Login | null = null;
  /** The tunnel's context, with this client's login for the connections opened for it. */
  private readonly link: SmartContext;
  private closed = false;
  private quitting = false;
  private readonly socket: net.Socket;
  /** The batchable requests of the current client read, sent as one batch (see Batches). */
  private readonly batches: Batches;
  private readonly held: HeldRequests;

  constructor(
    accepted: net.Socket,
    private readonly ctx: SmartContext,
    private readonly log: Logger,
    private readonly onClose: (c: SmartClient) => void,
  ) {
    this.link = { ...ctx, auth: () => (this.login ? this.login.auth : ctx.auth()) };
    // A batchable request is read in place; any other is kept as its arguments, read once.
    this.requests = new ClientRequests(ctx.reading, ctx.requestLimits(), { lent: false, keepArgs: true });
    // The socket reads into one reused buffer (lent chunks, as pinned mode's do), and each chunk is
    // copied once, into Node's pooled slab: a batch keeps its requests' bytes until it writes
    // them a turn later. A stream's own chunk cost more: a 64 KiB allocation per read, cut to size.
    const connection = new ClientConnection(
      accepted,
      ctx,
      log,
      {
        read: (chunk) => this.onData(Buffer.from(chunk)),
        failed: () => this.destroy(), // onData answers what it cannot read; nothing else throws
        // Half-open sockets (the listener allows them) end only when told: once the client has
        // sent FIN, its replies are written and the connection ends, as a server does.
        ended: () => this.replies.endAfterReplies(),
        closed: () => this.close(),
      },
      true,
    );
    const socket = (this.socket = connection.socket);
    this.replies = new ReplyQueue(connection);
    this.held = new HeldRequests(this.replies, () => this.tx.endOfRead());
    const lanes = (this.lanes = new Lanes(
      ctx.shared,
      (entry, protocol) => this.upstreams.get(entry, protocol),
      () => this.protocol,
      () => this.login,
    ));
    this.dispatcher = new Dispatcher(ctx, lanes);
    this.batches = new Batches(ctx.planner, this.dispatcher, lanes, this.replies);
    this.tracking = new Tracking({
      table: ctx.table,
      lanes,
      whenAnswered: (run) => this.held.whenAnswered(run),
      release: () => this.held.release(),
      emit: this.emit,
      protocol: () => this.protocol,
      ownNodes: () => [...this.upstreams.values()].map((u) => u.entry),
    });
    this.tx = new Transaction(ctx.table, ctx.planner.commands, lanes, this.held);
    socket.on('drain', () => socket.resume());
    socket.resume();
  }

  private readonly onRequest = (buf: Buffer, start: number, end: number): boolean => {
    const parser = this.requests.parser;
    if (parser.argc === 0) return !this.quitting;
    // The common case: a single-key command (one of the planner's batchNames), read in place.
    // Anything else is read whole: its arguments kept by the parser, or taken from where it found
    // them (a single-key command, when batches do not apply), or read again (a long one).
    const name = parser.name;
    if (name !== null && !parser.inline && this.plain() && this.batches.add(name, buf, start, end, parser))
      return true;
    const bytes = buf.subarray(start, end);
    const args = parser.args ?? parser.placedArgs() ?? requestArgs(bytes);
    // An inline line goes on as the multibulk it was read as: a node reads inline lines in its own
    // way, and one it refuses closes the connection, which others share.
    this.request(args, parser.inline ? encodeCommand(args) : bytes, name ?? commandName(args));
    return !this.quitting; // nothing after QUIT is read
  };

  /**
   * Whether nothing about this client gives a single-node request a meaning of its own (a
   * transaction, subscription, tracking, held requests, silenced replies), so it may go in a batch
   * (see Batches). A local login still due never gets here: the gate answers before it.
   */
  private plain(): boolean {
    return !(
      this.held.holding ||
      this.tracking.on ||
      this.tx.open ||
      this.pubsub?.active ||
      !this.replies.speaking
    );
  }

  private onData(chunk: Buffer): void {
    if (this.quitting) return; // after QUIT or a malformed request, nothing more is read
    try {
      this.requests.read(chunk, this.onRequest);
      this.batches.send();
      this.tx.endOfRead();
    } catch (e) {
      // The requests before the malformed one are answered first; nothing after it is read.
      this.quitting = true;
      this.socket.pause();
      this.batches.send();
      this.tx.endOfRead();
      const reply = malformedReply(e, this.ctx.stats, this.log);
      const last = (): void => this.replies.take(true)(reply);
      if (!this.held.hold(last)) last();
    }
  }

  private request(args: Buffer[], bytes: Buffer, name = commandName(args)): void {
    this.batches.send();
    if (closedCrossProtocol(name, this.socket, this.log)) return;
    if (this.held.hold(() => this.request(args, bytes, name))) return;
    if (this.ctx.localAuth && (name === 'auth' || name === 'hello')) {
      // Past the local-password gate, AUTH is still the tunnel's to answer, in order here.
      const { step } = gate(this.ctx.localAuth, true, name, args);
      if ('reply' in step) return this.replies.take()(step.reply);
    }
    if (name === 'quit') {
      // QUIT on a shared connection would close it for every client: the tunnel answers it.
      this.quitting = true;
      return this.replies.take(true)(OK);
    }
    if (name === 'reset') return this.reset();
    if (name === 'client' && args.length === 3 && args[1].toString('latin1').toLowerCase() === 'reply')
      return this.replies.clientReply(args[2].toString('latin1').toLowerCase());
    const done = this.replies.take();
    if (this.tx.handle(name, args, bytes, done)) return;
    if (name === 'readonly' || name === 'readwrite') return done((this.dispatcher.readWith(name), OK));
    const attempt = this.ctx.localAuth ? null : loginAttempt(name, args);
    if (attempt)
      return Buffer.isBuffer(attempt) ? done(attempt) : logIn(this.loginHost(), attempt, args, done);
    if (name === 'monitor') {
      if (!this.monitor) (this.monitor = new Monitor(this.link, this.emit, this.log)).start();
      return done(OK);
    }
    if (name === 'client' && args.length > 2) {
      if (this.tracking.handle(args[1].toString('latin1').toLowerCase(), args, bytes, done)) return;
    }
    if (isSubFamily(name)) {
      this.pubsub ??= new PubSub(this.link, () => this.protocol, this.emit, this.log);
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
    // A cluster refuses SELECT; a standalone server's other databases need the own connection.
    if (name === 'select' && this.ctx.table.topology === 'standalone')
      this.lanes.selected = args.length === 2 && args[1].toString('latin1') !== '0';
    if (!this.tracking.on) return runPlan(p, name, args, bytes, done, this.ctx, this.dispatcher);
    this.tracking.beforeCommand();
    runPlan(p, name, args, bytes, done, this.ctx, this.dispatcher);
    this.tracking.afterCommand();
  }

  private hello(args: Buffer[], done: (r: Buffer) => void): void {
    hello(args, done, { held: this.held, dispatcher: this.dispatcher, switchTo: (v) => this.switchTo(v) });
  }

  /** The client speaks `version` from here: its own connections switch behind what they carry. */
  private switchTo(version: 2 | 3): void {
    if (version === this.protocol) return;
    this.protocol = version;
    const hello = helloFor(version, true) as Buffer;
    for (const u of this.upstreams.values()) this.lanes.send(u.entry, 'own', hello, () => {}, null);
  }

  private readonly emit = (frame: Buffer): void => this.replies.emit(frame);

  /** What a login needs of this client (see logIn): made when one comes, not kept per client. */
  private loginHost(): LoginHost {
    return {
      ctx: this.ctx,
      held: this.held,
      protocol: () => this.protocol,
      login: () => this.login,
      become: (login) => {
        this.login = login;
        this.upstreams.close();
      },
      hello: (args, done) => this.hello(args, done),
    };
  }

  /**
   * RESET, as a server does it: once every earlier request is answered, this client's own
   * connections close (their transaction, WATCH, subscriptions, name and database go with them),
   * the protocol is RESP2 again and every reply is sent. Requests after it wait until then.
   */
  private reset(): void {
    const done = this.replies.take();
    this.held.whenAnswered(() => {
      this.tracking.reset();
      this.upstreams.close();
      this.lanes.selected = false;
      this.dispatcher.readWith(null);
      this.login = null;
      this.pubsub?.close();
      this.pubsub = null;
      this.monitor?.close();
      this.monitor = null;
      this.tx = new Transaction(this.ctx.table, this.ctx.planner.commands, this.lanes, this.held);
      this.protocol = 2;
      this.replies.reset();
      done(RESET);
      this.held.release();
    });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.replies.close();
    this.lanes.closed = true;
    this.tracking.reset();
    this.upstreams.closeForGood();
    this.pubsub?.close();
    this.monitor?.close();
    this.onClose(this);
  }

  /** The nodes this client has a connection of its own to (the status page counts them). */
  get ownNodeIds(): string[] {
    return [...this.upstreams.values()].map((u) => u.entry.node.id);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
