import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import { isSubFamily } from '../protocol/commands.js';
import { type AuthAttempt, gate } from '../protocol/local-auth.js';
import type { Login } from '../protocol/login.js';
import { encodeCommand, errorReply } from '../resp/encode.js';
import { ProtocolError } from '../resp/errors.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { RequestParser } from '../resp/request-parser.js';
import { requestArgs } from '../rewrite/requests.js';
import { commandName } from '../protocol/command-table.js';
import type { SmartContext } from './context.js';
import { Dispatcher } from './dispatch.js';
import { Lanes } from './lanes.js';
import { HTTP_COMMANDS, subscribedReply } from './local-replies.js';
import { checkLogin, loginAttempt } from '../upstream/login-check.js';
import { Monitor } from './monitor.js';
import type { Plan } from './plan.js';
import { PubSub } from './pubsub.js';
import { type ReplyMode, ReplyQueue } from './replies.js';
import { runPlan } from './run-plan.js';
import { RequestRun } from './request-run.js';
import { Tracking } from './tracking.js';
import { Transaction } from './transaction.js';
import { Upstream, helloFor } from '../upstream/upstream.js';
import { Upstreams } from '../upstream/upstreams.js';
import { overOutputLimit } from '../net/output-limit.js';

const OK = Buffer.from('+OK\r\n');
const RESET = Buffer.from('+RESET\r\n');
const REPLY_MODES = new Set<string>(['on', 'off', 'skip']);

/**
 * One client connection in smart mode: the whole cluster looks like one server. Each request is
 * planned (one slot's master, split by slot, every master, or refused), sent over this client's
 * own upstream connections, and answered in request order.
 */
export class SmartClient {
  private readonly parser: RequestParser;
  private readonly replies: ReplyQueue;
  /**
   * This client's own connections, per node. Their pushes (tracking invalidations) reach the client
   * after the replies pending then, so never ahead of a reply that came before them.
   */
  private readonly upstreams = new Upstreams((entry, forget) => {
    const u = new Upstream(
      entry,
      this.link,
      () => this.protocol,
      this.emit,
      (gone) => {
        forget(gone);
        if (!this.closed) this.tracking.lost();
      },
    );
    this.tracking.opened((request) => u.send(request, () => {}));
    return u;
  });
  private readonly dispatcher: Dispatcher;
  private readonly lanes: Lanes;
  private readonly tracking: Tracking;
  private tx: Transaction;
  private pubsub: PubSub | null = null;
  private monitor: Monitor | null = null;
  private readonly requests: FrameSplitter;
  private protocol = 2;
  /** The login the client made itself (null: the tunnel's): every connection serving it uses it. */
  private login: Login | null = null;
  /** The tunnel's context, with this client's login for the connections opened for it. */
  private readonly link: SmartContext;
  private closed = false;
  private quitting = false;
  /** With --local-password: whether this client has authenticated. */
  private authed = false;
  /** Single-node requests of the current client read, bound for one node: sent as one. */
  private run: RequestRun | null = null;
  /** Requests that came after a RESET still waiting for earlier replies: run once it is done. */
  private held: Array<() => void> | null = null;

  constructor(
    private readonly socket: net.Socket,
    private readonly ctx: SmartContext,
    private readonly log: Logger,
    private readonly onClose: (c: SmartClient) => void,
  ) {
    this.link = { ...ctx, auth: () => (this.login ? this.login.auth : ctx.auth()) };
    this.parser = new RequestParser({ names: [], maxFrameBytes: ctx.maxFrameBytes, keepArgs: true });
    this.requests = new FrameSplitter(this.parser, () => this.parser.inRequest);
    this.replies = new ReplyQueue(socket, ctx.stats, () => {
      if (overOutputLimit(socket, ctx.clientOutputLimit, ctx.stats, log)) socket.destroy();
    });
    const lanes = (this.lanes = new Lanes(
      ctx.shared,
      (entry) => this.upstreams.get(entry),
      () => this.protocol,
      () => this.login,
    ));
    this.dispatcher = new Dispatcher(ctx, lanes);
    this.tracking = new Tracking({
      table: ctx.table,
      lanes,
      whenAnswered: (run) => this.whenAnswered(run),
      release: () => this.release(),
      emit: this.emit,
      protocol: () => this.protocol,
      ownNodes: () => [...this.upstreams.values()].map((u) => u.entry),
    });
    this.tx = new Transaction(ctx.table, ctx.planner.commands, lanes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => socket.resume());
    socket.on('error', (e: Error) => this.log.debug(`client error: ${describeError(e)}`));
    socket.on('close', () => this.close());
    // Half-open sockets (the listener allows them) end only when told: once the client has sent
    // FIN, its replies are written and the connection ends, as a server does.
    socket.on('end', () => this.replies.endAfterReplies());
    socket.resume();
  }

  private readonly onRequest = (bytes: Buffer): boolean => {
    if (this.parser.argc === 0) return !this.quitting;
    const args = this.parser.args ?? requestArgs(bytes);
    const name = commandName(args);
    if (!this.parser.inline && this.inRun(args, bytes, name)) return true;
    // An inline line goes on as the multibulk it was read as: a node reads inline lines in its own
    // way, and one it refuses closes the connection, which others share.
    this.request(args, this.parser.inline ? encodeCommand(args) : bytes, name);
    return !this.quitting; // nothing after QUIT is read
  };

  /**
   * Puts a single-node request in the current run (see RequestRun) when nothing about this
   * client gives it a meaning of its own: no transaction, subscription, tracking, held requests,
   * silenced replies or missing local login.
   */
  private inRun(args: Buffer[], bytes: Buffer, name: string): boolean {
    if (this.held || this.tracking.on || this.tx.open || this.pubsub?.active || !this.replies.speaking)
      return false;
    if (this.ctx.localAuth && !this.authed) return false;
    const route = this.ctx.planner.runRoute(args, name);
    const entry = route && this.dispatcher.target(this.ctx.planner.slotOf(args, route.key), route.lane);
    if (!route || !entry) return false;
    if (this.run?.extend(entry, route.lane, bytes)) return true;
    this.sendRun();
    const { dispatcher, ctx } = this;
    this.run = new RequestRun(entry, route.lane, bytes, this.replies.take(), dispatcher, ctx.planner);
    return true;
  }

  private sendRun(): void {
    const run = this.run;
    this.run = null;
    run?.send(this.lanes);
  }

  private onData(chunk: Buffer): void {
    this.ctx.stats.bytesToCluster += chunk.length;
    try {
      this.requests.push(chunk, this.onRequest);
      this.sendRun();
    } catch (e) {
      this.sendRun();
      // As a server does: say what was wrong with the request, then close the connection.
      const why = e instanceof ProtocolError ? `Protocol error: ${e.message}` : describeError(e);
      this.ctx.stats.error('malformed-request');
      this.log.info(
        `malformed request (${e instanceof ProtocolError ? e.code : 'error'}); closing this client`,
      );
      this.socket.end(errorReply(`ERR ${why}`));
      this.socket.pause();
    }
  }

  private request(args: Buffer[], bytes: Buffer, name = commandName(args)): void {
    this.sendRun();
    if (HTTP_COMMANDS.has(name)) {
      // A browser's request reached the port: close, as Redis does, before it reaches a node.
      this.log.warn(`possible cross-protocol attack (${name.toUpperCase()} sent to the smart port); closing`);
      this.socket.destroy();
      return;
    }
    if (this.held) return void this.held.push(() => this.request(args, bytes, name));
    if (this.ctx.localAuth) {
      // AUTH is the tunnel's to answer, in order; before it only HELLO … AUTH and QUIT go on.
      const { step, authed } = gate(this.ctx.localAuth, this.authed, name, args);
      this.authed = authed;
      if ('reply' in step) return this.replies.take()(step.reply);
    }
    if (name === 'quit') {
      // QUIT on a shared connection would close it for every client: the tunnel answers it.
      this.quitting = true;
      return this.replies.take(true)(OK);
    }
    if (name === 'reset') return this.reset();
    if (name === 'client' && args.length === 3 && args[1].toString('latin1').toLowerCase() === 'reply') {
      const mode = args[2].toString('latin1').toLowerCase();
      if (!REPLY_MODES.has(mode)) return this.replies.take()(errorReply('ERR syntax error'));
      return this.replies.clientReply(mode as ReplyMode);
    }
    const done = this.replies.take();
    if (this.tx.handle(name, args, bytes, done)) return;
    if (name === 'readonly' || name === 'readwrite') return done((this.dispatcher.readWith(name), OK));
    const attempt = this.ctx.localAuth ? null : loginAttempt(name, args);
    if (attempt) return Buffer.isBuffer(attempt) ? done(attempt) : this.logIn(attempt, args, done);
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

  private readonly emit = (frame: Buffer): void => this.replies.emit(frame);

  /**
   * AUTH or HELLO … AUTH, in order: once every earlier request is answered, a node checks the
   * login (see checkLogin); requests after it wait, then run as the user it names. A refused login
   * leaves the client as it was. A new login closes this client's own connections: they open again
   * logged in as it.
   */
  private logIn(attempt: AuthAttempt, args: Buffer[], done: (r: Buffer) => void): void {
    const hello = args[0].toString('latin1').toLowerCase() === 'hello';
    this.whenAnswered(() => {
      const tunnel = this.ctx.isTunnelCredential(attempt);
      checkLogin(
        this.ctx.shared,
        this.ctx.table.masters()[0],
        this.protocol,
        attempt,
        tunnel,
        (login, reply) => {
          if (login !== undefined && login?.key !== this.login?.key) {
            this.login = login;
            this.upstreams.close();
          }
          if (hello && login !== undefined) this.hello(args, done);
          else done(reply);
          this.release();
        },
      );
    });
  }

  /** Holds every later request until `run`, called once every earlier one is answered, releases them. */
  private whenAnswered(run: () => void): void {
    this.held = [];
    this.replies.whenEarlierAnswered(run);
  }

  private release(): void {
    const later = this.held ?? [];
    this.held = null;
    for (const run of later) run();
  }

  /**
   * RESET, as a server does it: once every earlier request is answered, this client's own
   * connections close (their transaction, WATCH, subscriptions, name and database go with them),
   * the protocol is RESP2 again and every reply is sent. Requests after it wait until then.
   */
  private reset(): void {
    const done = this.replies.take();
    this.whenAnswered(() => {
      this.tracking.reset();
      this.upstreams.close();
      this.lanes.selected = false;
      this.dispatcher.readWith(null);
      this.login = null;
      this.pubsub?.close();
      this.pubsub = null;
      this.monitor?.close();
      this.monitor = null;
      this.tx = new Transaction(this.ctx.table, this.ctx.planner.commands, this.lanes);
      this.protocol = 2;
      this.replies.reset();
      done(RESET);
      this.release();
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
