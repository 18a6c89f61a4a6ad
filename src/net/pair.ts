import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import { AuthGate } from './auth-gate.js';
import { Session } from '../protocol/session.js';
import type { SessionNotice, SessionSink } from '../protocol/sink.js';
import { errorReply } from '../resp/encode.js';
import { ProtocolError } from '../resp/errors.js';
import type { NodeTarget } from '../topology/types.js';
import type { Pairs } from './pairs.js';
import type { OpenNode } from './connector.js';
import { NodeError } from './node-error.js';
import { SocketReads, adoptWithReads, writeLent } from './socket-reads.js';

/** Pause reasons for one socket: it flows again only when none is left. */
class Valve {
  private readonly reasons = new Set<string>();
  constructor(private readonly socket: net.Socket) {}

  close(reason: string): void {
    if (this.reasons.size === 0) this.socket.pause();
    this.reasons.add(reason);
  }

  open(reason: string): void {
    if (!this.reasons.delete(reason)) return;
    if (this.reasons.size === 0) this.socket.resume();
  }
}

/** How long a client that never reads may hold a pair open after the node closed. */
const CLIENT_DRAIN_MS = 10_000;
/** Re-authentication waits for an idle moment: every 50 ms, for up to a minute. */
const REAUTH_RETRY_MS = 50;
const REAUTH_ATTEMPTS = 1200;

/**
 * One client connection and its own upstream connection to the node its listener fronts. The
 * upstream is authenticated before any client byte is forwarded (client bytes wait, unread).
 */
export class ConnectionPair {
  readonly id: number;
  private readonly client: net.Socket;
  /** The client's reads, when its socket could be moved onto a reused buffer (see SocketReads). */
  private readonly clientReads: SocketReads | null;
  private readonly target: NodeTarget;
  private readonly self: { host: string; port: number };
  private readonly owner: Pairs;
  private readonly log: Logger;
  private upstream: net.Socket | null = null;
  private session: Session | null = null;
  private reauthTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(
    client: net.Socket,
    id: number,
    target: NodeTarget,
    self: { host: string; port: number },
    owner: Pairs,
  ) {
    this.id = id;
    const reads = new SocketReads();
    const adopted = adoptWithReads(client, reads);
    this.client = adopted ?? client;
    this.clientReads = adopted ? reads : null;
    client = this.client;
    this.target = target;
    this.self = self;
    this.owner = owner;
    this.log = owner.context.log.child({ component: 'conn', node: target.label, conn: id });
    client.setNoDelay(true);
    client.pause(); // hold client bytes in the kernel until the upstream is ready
    client.on('error', this.onClientError);
    client.on('close', this.onClientClose);
  }

  async start(): Promise<void> {
    const { connector, auth, onUnreachable, pool } = this.owner.context;
    let open;
    try {
      open = pool.take(this.target) ?? (await connector.open(this.target, auth(), new SocketReads()));
    } catch (e) {
      const reason = describeError(e, { withNode: false });
      this.owner.context.stats.error('unreachable');
      // A node that is down meets every client retry: warn once per node per interval.
      const throttle = this.owner.unreachableWarnings;
      if (throttle.allow(this.target.label)) {
        this.log.warn(
          `cannot open upstream: ${reason} (repeats within ${throttle.intervalMs / 1000} s are logged at debug)`,
        );
      } else {
        this.log.debug(`cannot open upstream: ${reason}`);
      }
      // The client learns which node failed and why, as a RESP error, then the pair closes.
      // CLUSTERDOWN, not ERR: cluster clients answer it by re-reading the topology and retrying
      // (ioredis, redis-py, go-redis), which is what a failover needs; ERR would fail the command.
      if (!this.closed) {
        this.client.end(
          errorReply(`CLUSTERDOWN redis-cluster-tunnel: cannot reach node ${this.target.label}: ${reason}`),
        );
      }
      // Out of file descriptors is this machine's trouble: the topology has nothing to do with it.
      if (!(e instanceof NodeError && e.code === 'local')) onUnreachable(this.target);
      return;
    }
    if (this.closed) {
      open.socket.destroy();
      return;
    }
    this.wire(open);
  }

  private wire(open: OpenNode): void {
    const { socket: upstream, pending } = open;
    // Every upstream of a pair reads into one (the pair and the pool open them so).
    const upstreamReads = open.reads as SocketReads;
    this.upstream = upstream;
    const { client, clientReads } = this;
    // Chunks are lent from a reused buffer: a write to plain TCP that the kernel did not take
    // whole finishes later from that buffer, so its lender then reads into a new one. TLS copies
    // on the spot (it encrypts during the write).
    const requestLender = this.owner.context.connector.transport.tls ? null : clientReads;
    const clientValve = new Valve(client);
    const upstreamValve = new Valve(upstream);
    const stats = this.owner.context.stats;
    const sink: SessionSink = {
      toServer: (buf) => {
        if (!writeLent(upstream, buf, requestLender)) clientValve.close('upstream is slow');
      },
      toClient: (buf) => {
        this.bytesOut += buf.length;
        stats.bytesToClients += buf.length;
        if (!writeLent(client, buf, upstreamReads)) upstreamValve.close('client is slow');
      },
      resume: () => upstreamValve.open('learning nodes'),
      fail: (e) => this.fail('reply', e),
      notice: (n) => this.notice(n),
    };
    const { addresses, rewriteRequest, maxFrameBytes } = this.owner.context;
    const session = new Session(sink, {
      addresses,
      self: this.self,
      rewriteRequest,
      limits: { maxFrameBytes },
    });
    this.session = session;
    upstream.on('drain', () => clientValve.open('upstream is slow'));
    client.on('drain', () => upstreamValve.open('client is slow'));
    const { localAuth } = this.owner.context;
    // Under --local-password nothing reaches the session (or the node) until the client has AUTHed.
    const gate =
      localAuth &&
      new AuthGate(
        localAuth,
        (reply, close) => (close ? client.end(reply) : client.write(reply)),
        (bytes) => session.fromClient(bytes),
        maxFrameBytes,
      );
    const fromClient = (chunk: Buffer): void => {
      this.bytesIn += chunk.length;
      stats.bytesToCluster += chunk.length;
      try {
        if (gate) gate.push(chunk);
        else session.fromClient(chunk);
      } catch (e) {
        this.fail('request', e);
      }
    };
    if (clientReads) clientReads.handler = fromClient;
    else client.on('data', fromClient);
    const fromServer = (chunk: Buffer): void => {
      try {
        if (!session.fromServer(chunk)) upstreamValve.close('learning nodes');
      } catch (e) {
        this.fail('reply', e);
      }
    };
    upstreamReads.handler = fromServer;
    // Half-closes pass through: a client that sends FIN still gets the replies already asked for.
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    upstream.on('error', (e: Error) => {
      this.log.debug(`upstream error: ${describeError(e)}`);
      this.destroy();
    });
    // The node closed (QUIT, timeout, restart): let pending bytes reach the client, then close.
    upstream.on('close', () => this.endClient());
    if (pending) fromServer(pending);
    upstream.resume();
    client.resume();
    this.log.debug(`connected to ${this.target.label}`);
  }

  private notice(n: SessionNotice): void {
    if (n.kind === 'rewritten') {
      this.owner.context.stats.rewrites++;
    } else if (n.kind === 'uncertain') {
      this.log.info(`reply pairing stopped, topology replies pass unchanged on this connection: ${n.reason}`);
    } else if (n.kind === 'unmapped') {
      const names = n.missing.map((m) => `${m.host}:${m.port}`).join(', ');
      this.log.warn(`reply names nodes the tunnel does not serve: ${names}`);
    } else if (n.ok) {
      this.log.debug('re-authenticated with a fresh token');
    } else {
      this.log.warn(`re-authentication refused by the node: ${n.reply}`);
    }
  }

  /**
   * Sends AUTH with a fresh token on this open connection, as Azure Entra requires before the old
   * token expires. It goes in only between the client's requests on an idle connection, so the
   * client never sees its reply; a busy connection is retried every 50 ms for up to a minute.
   */
  reauth(request: Buffer, attempts = REAUTH_ATTEMPTS): void {
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    this.reauthTimer = null;
    if (this.closed || !this.session) return;
    if (this.session.inject(request)) return;
    if (attempts <= 1) {
      this.log.warn(
        'could not re-authenticate: the connection was never idle; it keeps its previous authentication',
      );
      return;
    }
    this.reauthTimer = setTimeout(() => this.reauth(request, attempts - 1), REAUTH_RETRY_MS);
    this.reauthTimer.unref();
  }

  /**
   * A malformed reply closes this pair only. (A malformed request never gets here: the session
   * passes it to the node unparsed, which answers and closes, as it would without the tunnel.)
   */
  private fail(side: 'request' | 'reply', e: unknown): void {
    if (this.closed) return;
    this.owner.context.stats.error(side === 'request' ? 'malformed-request' : 'malformed-reply');
    if (e instanceof ProtocolError)
      this.log.warn(`malformed ${side} (${e.code}): ${e.message}; closing this connection`);
    else this.log.error(`unexpected ${side} failure: ${(e as Error).stack ?? describeError(e)}`);
    this.destroy();
  }

  private endClient(): void {
    if (this.closed) return;
    this.client.end();
    setTimeout(() => this.destroy(), CLIENT_DRAIN_MS).unref();
  }

  private readonly onClientError = (e: Error): void => {
    this.log.debug(`client error: ${describeError(e)}`);
    this.destroy();
  };

  private readonly onClientClose = (): void => {
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    // The client is gone: nothing more can be delivered, so the upstream goes too.
    this.upstream?.destroy();
    if (!this.closed) {
      this.closed = true;
      const pending = this.session?.pending ?? 0;
      this.log.debug(
        `closed (${this.bytesIn} bytes in, ${this.bytesOut} bytes out, ${pending} replies not delivered)`,
      );
      this.owner.closed(this);
    }
  };

  /** Ends the pair politely (shutdown): FIN to the client once written, then to the node. */
  end(): void {
    this.client.end();
    this.upstream?.end();
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
  }
}
