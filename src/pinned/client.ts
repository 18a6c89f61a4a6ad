import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import { ClientConnection } from '../client/connection.js';
import type { Session } from '../protocol/session.js';
import type { FrameEnds } from '../resp/frame-ends.js';
import type { SessionSink } from '../protocol/sink.js';
import type { NodeEntry } from '../topology/node-table.js';
import { PRIMARY_ID } from '../topology/standalone.js';
import type { PinnedClientOwner } from './context.js';
import type { OpenNode } from '../net/connector.js';
import { isRefusal, openOwnUpstream } from './own-upstream.js';
import type { SharedLane } from './shared-lane.js';
import { sharedLaneFor } from './lane-owner.js';
import { reportFailure, reportNotice } from './session-notice.js';
import type { SocketReads } from '../net/socket-reads.js';
import { IdleRetry, reauthWhenIdle } from './idle-retry.js';
import { Valve } from '../net/valve.js';
import { endClient } from '../net/listen.js';
import { OwnLink, type OwnLinkEvents } from './own-link.js';

/** Why a side's reads are paused (see Valve). */
const CONNECTING = 'no connection to the node yet';
const PINNING = 'taking a connection of its own';
const SLOW_CLIENT = 'client is slow';
const SLOW_UPSTREAM = 'upstream is slow';
const LEARNING = 'learning nodes';

/**
 * One client connection of a node's listener and its way to that node. Its requests first take
 * the node's shared connection (a SharedLane), unless sharing is off; at the first request that
 * needs a connection of its own (MULTI, SELECT, BLPOP, SUBSCRIBE...), it takes one (warm,
 * from the pool) and keeps it to the end. Client bytes wait, unread, until there is a way.
 */
export class PinnedClient {
  /** The client's connection: its socket, the local-password gate, its bytes counted. */
  private readonly connection: ClientConnection;
  private readonly client: net.Socket;
  /** The client's reads, when its socket could be moved onto a reused buffer (see SocketReads). */
  private readonly clientReads: SocketReads | null;
  private readonly clientValve: Valve;
  private readonly log: Logger;
  private readonly session: Session;
  /** The node's shared connection, while the client's requests take it. */
  private lane: SharedLane | null = null;
  /** The client's own connection, once it has one. */
  private own: OwnLink | null = null;
  /** An own connection opened while shared requests were still unanswered: it waits for them. */
  private ownReady: OpenNode | null = null;
  /** The client's last words (a node it cannot reach), sent once shared replies are delivered. */
  private refusal: Buffer | null = null;
  private clientEnded = false;
  /** The client is being sent its last bytes (its way to the node broke): nothing more starts. */
  private ending = false;
  private readonly reauthRetry = new IdleRetry();
  private closed = false;
  /** The client's writes went on the shared connection, and no wait marker followed them yet. */
  private sharedWrites = false;

  constructor(
    client: net.Socket,
    readonly id: number,
    readonly entry: NodeEntry,
    self: { host: string; port: number },
    private readonly owner: PinnedClientOwner,
  ) {
    const { context } = owner;
    this.log = context.log.child({ component: 'conn', node: entry.target.label, conn: id });
    this.session = owner.session(entry, self, this.sink, () => this.unmarkedWrites());
    // Past the local-password gate, a client's bytes go to its shared lane, which parses them once
    // and has its session track what it sends; from the request that needs its own connection on,
    // to the session, which parses and tracks them on their way there.
    const connection = (this.connection = new ClientConnection(
      client,
      context,
      this.log,
      {
        read: (bytes) => (this.lane ? this.lane.push(bytes) : this.session.fromClient(bytes)),
        failed: (e) => this.fail('request', e),
        // Half-closes pass through: a client that sends FIN still gets the replies already asked for.
        ended: () => {
          this.clientEnded = true;
          if (this.own) this.own.socket.end();
          else this.idle();
        },
        closed: this.onClientClose,
      },
      true,
    ));
    this.client = client = connection.socket;
    this.clientReads = connection.reads;
    this.clientValve = new Valve(client);
    this.clientValve.close(CONNECTING); // client bytes wait in the kernel until there is a way
    client.on('drain', () => {
      this.own?.valve.open(SLOW_CLIENT);
      this.clientValve.open(SLOW_CLIENT);
    });
  }

  async start(): Promise<void> {
    const { shared } = this.owner.context;
    if (shared) {
      this.lane = sharedLaneFor(this.owner, this.entry, shared, this.id, this.log, {
        track: (request) => this.session.track(request),
        reply: (span, ends) => {
          if (!this.closed) this.fromServer(span, ends);
        },
        idle: () => this.idle(),
        end: (last) => {
          if (this.closed) return;
          if (!last) return this.endClient();
          this.ending = true;
          endClient(this.client, last);
        },
        pin: (why) => {
          this.log.debug(`takes a connection of its own: ${why}`);
          this.clientValve.close(PINNING);
          void this.takeOwn();
        },
      });
      this.clientValve.open(CONNECTING);
      return;
    }
    await this.takeOwn();
  }

  private readonly sink: SessionSink = {
    toServer: (buf) => {
      const { own } = this;
      // Only the client's own connection takes the session's bytes (see `route`).
      if (!own) throw new Error('request bytes before the connection they go on');
      // Chunks are lent from a reused buffer: a write to plain TCP that the kernel did not take
      // whole finishes later from that buffer, so its lender then reads into a new one. TLS copies
      // on the spot (it encrypts during the write).
      const lender = this.owner.context.connector.transport.tls ? null : this.clientReads;
      if (!own.write(buf, lender, this.session.requestCount)) this.clientValve.close(SLOW_UPSTREAM);
    },
    toClient: (buf) => {
      // Shared replies are the shared connection's own buffers, not lent; own ones are.
      if (this.connection.write(buf, true, this.own?.reads ?? null)) return;
      if (this.client.destroyed) return this.destroy(); // over the output bound: its own connection goes too
      // The own connection waits; on the shared one, the client's new requests do.
      (this.own?.valve ?? this.clientValve).close(SLOW_CLIENT);
    },
    // The session reads only what goes on the client's own connection (see `route`): a WAIT is
    // already there, since its placement stops the shared lane.
    ownFromHere: () => {},
    resume: () => this.own?.valve.open(LEARNING),
    fail: (e) => this.fail('reply', e),
    notice: (n) => reportNotice(n, this.owner.context.stats, this.log),
  };

  private fromServer(chunk: Buffer, ends?: FrameEnds): void {
    try {
      // A shared reply is kept by the session while it learns nodes: only an own connection waits.
      if (!this.session.fromServer(chunk, ends)) this.own?.valve.close(LEARNING);
    } catch (e) {
      this.fail('reply', e);
    }
  }

  /** Opens the client's own connection, and moves the client onto it once nothing shared is due. */
  private async takeOwn(): Promise<void> {
    const { owner } = this;
    owner.context.stats.ownConnections++;
    const login = this.lane?.login ?? null;
    const target = this.entry.target;
    const open = await openOwnUpstream(owner.context, target, owner.unreachableWarnings, this.log, login);
    if (isRefusal(open)) {
      this.refusal = open.reply;
    } else if (this.closed || this.ending) {
      return void open.socket.destroy();
    } else {
      this.ownReady = open;
    }
    this.idle();
  }

  /** No shared request of this client is unanswered: whatever waited for that goes ahead. */
  private idle(): void {
    const { lane } = this;
    if (this.closed || this.ending || (lane && lane.inflight > 0)) return;
    if (this.refusal) {
      this.ending = true;
      this.client.end(this.refusal);
    } else if (this.ownReady) this.attach(this.ownReady);
    else if (this.clientEnded && lane && !lane.held) this.client.end();
  }

  /** What the client's own connection tells it (made at attach: most clients never take one). */
  private ownEvents(): OwnLinkEvents {
    return {
      reply: (chunk) => this.fromServer(chunk),
      fail: (e) => this.fail('reply', e),
      drain: () => this.clientValve.open(SLOW_UPSTREAM),
      end: () => this.client.end(),
      error: (e) => {
        this.log.debug(`upstream error: ${describeError(e)}`);
        this.destroy();
      },
      // The node closed (QUIT, timeout, restart): let pending bytes reach the client, then close.
      close: () => this.endClient(),
    };
  }

  private attach(open: OpenNode): void {
    this.ownReady = null;
    // The labels the client set on the shared connection go first (see OwnLink), then what it
    // sent from the request that needed this connection on.
    const own = (this.own = new OwnLink(open, this.ownEvents(), {
      target: this.entry.target,
      labels: [...(this.lane?.labels.values() ?? [])],
      stats: this.owner.context.stats.nodes.of(this.entry.node.id),
      counted: this.session.requestCount,
      demoted: this.entry.node.id === PRIMARY_ID ? () => this.owner.primaryDemoted(this.entry) : null,
    }));
    const held = this.lane?.held ?? [];
    const first = this.lane?.heldFirst ?? null;
    this.sharedWrites = this.lane?.wrote ?? false;
    this.lane = null;
    try {
      if (first) {
        // The request that needed this connection was read by the lane: it is not read again.
        const bytes = Buffer.concat(held);
        this.session.fromClientParsed(bytes.subarray(0, first.length), first.request, first.rewritten);
        this.session.fromClient(bytes.subarray(first.length));
      } else for (const bytes of held) this.session.fromClient(bytes);
    } catch (e) {
      return this.fail('request', e);
    }
    if (this.clientEnded) own.socket.end();
    if (open.pending) own.read(open.pending);
    own.socket.resume();
    this.clientValve.open(CONNECTING);
    this.clientValve.open(PINNING);
    this.log.debug(`connected to ${this.entry.target.label}`);
  }

  /** Whether a WAIT needs the wait marker: once, after writes on the shared connection (see WaitMarkers). */
  private unmarkedWrites(): boolean {
    const due = this.sharedWrites;
    this.sharedWrites = false;
    return due;
  }

  /** A fresh credential: the client's own connection takes it when idle (see reauthWhenIdle). */
  reauth(request: Buffer): void {
    if (!this.closed && this.own) reauthWhenIdle(this.reauthRetry, this.session, request, this.log);
  }

  /** A malformed frame closes this client only (see reportFailure). */
  private fail(side: 'request' | 'reply', e: unknown): void {
    if (this.closed) return;
    reportFailure(side, e, this.owner.context.stats, this.log);
    this.destroy();
  }

  private endClient(): void {
    if (this.closed) return;
    this.ending = true;
    endClient(this.client);
  }

  private readonly onClientClose = (): void => {
    this.reauthRetry.cancel();
    // The client is gone: nothing more can be delivered, so the upstream goes too.
    this.own?.close();
    this.ownReady?.socket.destroy();
    if (!this.closed) {
      this.closed = true;
      const pending = this.session.pending;
      this.log.debug(
        `closed (${this.connection.bytesIn} bytes in, ${this.connection.bytesOut} bytes out, ${pending} replies not delivered)`,
      );
      this.owner.closed(this);
    }
  };

  /**
   * Ends the client politely (shutdown): FIN to the client once written, then to the node; on the
   * shared connection, once the replies it waits for are delivered.
   */
  end(): void {
    if (!this.own) {
      this.clientEnded = true;
      return this.idle();
    }
    this.client.end();
    this.own.socket.end();
  }

  /** The client has a connection of its own to the node (not only the shared one). */
  get hasOwn(): boolean {
    return this.own !== null;
  }

  destroy(): void {
    this.client.destroy();
    this.own?.close();
  }
}
