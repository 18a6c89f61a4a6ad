import type * as net from 'node:net';
import type { Logger } from '../log.js';
import { Session } from '../protocol/session.js';
import { ProtocolError } from '../resp/errors.js';
import { errorReply } from '../resp/encode.js';
import type { AddressLookup, NodeRef } from '../rewrite/address.js';
import { type ConnectSettings, NodeError, type NodeTarget, openNode } from './connect.js';

export interface PairDeps {
  target: NodeTarget;
  /** The node as the cluster announces it (for empty-endpoint redirects). */
  self: { host: string; port: number };
  settings: ConnectSettings;
  lookup: AddressLookup;
  learn?: (missing: NodeRef[]) => Promise<void> | void;
  /** Maps local listener addresses in MIGRATE / CLUSTER MEET / REPLICAOF back to real nodes. */
  rewriteRequest?: (request: Buffer) => Buffer | null;
  maxFrameBytes: number;
  log: Logger;
  onClose: (pair: ConnectionPair) => void;
  /** The node could not be reached (it may have failed over): the tunnel re-reads the topology. */
  onUnreachable?: () => void;
}

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

let nextId = 1;
const UNREACHABLE_WARNING_INTERVAL_MS = 10_000;
const lastUnreachableWarning = new Map<string, number>();

/**
 * One client connection and its own upstream connection to the node its listener fronts. The
 * upstream is authenticated before any client byte is forwarded (client bytes wait, unread).
 */
export class ConnectionPair {
  readonly id = nextId++;
  private readonly client: net.Socket;
  private readonly deps: PairDeps;
  private readonly log: Logger;
  private upstream: net.Socket | null = null;
  private session: Session | null = null;
  private reauthTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(client: net.Socket, deps: PairDeps) {
    this.client = client;
    this.deps = deps;
    this.log = deps.log.child({ conn: this.id });
    client.setNoDelay(true);
    client.pause(); // hold client bytes in the kernel until the upstream is ready
    client.on('error', this.onClientError);
    client.on('close', this.onClientClose);
  }

  async start(): Promise<void> {
    const { target, settings } = this.deps;
    let open;
    try {
      open = await openNode(target, settings);
    } catch (e) {
      const reason = e instanceof NodeError ? e.reason : String(e);
      // A node that is down meets every client retry: warn once per node per interval.
      const now = Date.now();
      if (now - (lastUnreachableWarning.get(target.label) ?? 0) >= UNREACHABLE_WARNING_INTERVAL_MS) {
        lastUnreachableWarning.set(target.label, now);
        this.log.warn(
          `cannot open upstream: ${reason} (repeats within ${UNREACHABLE_WARNING_INTERVAL_MS / 1000} s are logged at debug)`,
        );
      } else {
        this.log.debug(`cannot open upstream: ${reason}`);
      }
      // The client learns which node failed and why, as a RESP error, then the pair closes.
      // CLUSTERDOWN, not ERR: cluster clients answer it by re-reading the topology and retrying
      // (ioredis, redis-py, go-redis), which is what a failover needs; ERR would fail the command.
      if (!this.closed) {
        this.client.end(
          errorReply(`CLUSTERDOWN redis-cluster-tunnel: cannot reach node ${target.label}: ${reason}`),
        );
      }
      this.deps.onUnreachable?.();
      return;
    }
    if (this.closed) {
      open.socket.destroy();
      return;
    }
    this.wire(open.socket, open.pending);
  }

  private wire(upstream: net.Socket, pending: Buffer | null): void {
    this.upstream = upstream;
    const client = this.client;
    const clientValve = new Valve(client);
    const upstreamValve = new Valve(upstream);
    const session = new Session({
      lookup: this.deps.lookup,
      self: this.deps.self,
      learn: this.deps.learn,
      rewriteRequest: this.deps.rewriteRequest,
      limits: { maxFrameBytes: this.deps.maxFrameBytes },
      toServer: (buf) => {
        if (!upstream.write(buf)) clientValve.close('upstream is slow');
      },
      toClient: (buf) => {
        this.bytesOut += buf.length;
        if (!client.write(buf)) upstreamValve.close('client is slow');
      },
      onResume: () => upstreamValve.open('learning nodes'),
      onError: (e) => this.fail('reply', e),
      onUncertain: (reason) =>
        this.log.info(`reply pairing stopped, topology replies pass unchanged on this connection: ${reason}`),
      onInternalReply: (ok, reply) => {
        if (ok) this.log.debug('re-authenticated with a fresh token');
        else this.log.warn(`re-authentication refused by the node: ${reply}`);
      },
      onUnmapped: (missing) =>
        this.log.warn(
          `reply names nodes the tunnel does not serve: ${missing.map((m) => `${m.host}:${m.port}`).join(', ')}`,
        ),
    });
    this.session = session;
    upstream.on('drain', () => clientValve.open('upstream is slow'));
    client.on('drain', () => upstreamValve.open('client is slow'));
    client.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      try {
        session.fromClient(chunk);
      } catch (e) {
        this.fail('request', e);
      }
    });
    const fromServer = (chunk: Buffer): void => {
      try {
        if (!session.fromServer(chunk)) upstreamValve.close('learning nodes');
      } catch (e) {
        this.fail('reply', e);
      }
    };
    upstream.on('data', fromServer);
    // Half-closes pass through: a client that sends FIN still gets the replies already asked for.
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    upstream.on('error', (e: Error) => {
      this.log.debug(`upstream error: ${e.message}`);
      this.destroy();
    });
    // The node closed (QUIT, timeout, restart): let pending bytes reach the client, then close.
    upstream.on('close', () => this.endClient());
    if (pending) fromServer(pending);
    upstream.resume();
    client.resume();
    this.log.debug(`connected to ${this.deps.target.label}`);
  }

  /**
   * Sends AUTH with a fresh token on this open connection, as Azure Entra requires before the old
   * token expires. It goes in only between the client's requests on an idle connection, so the
   * client never sees its reply; a busy connection is retried every 50 ms for up to a minute.
   */
  reauth(request: Buffer, attempts = 1200): void {
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
    this.reauthTimer = setTimeout(() => this.reauth(request, attempts - 1), 50);
    this.reauthTimer.unref();
  }

  /**
   * A malformed reply closes this pair only. (A malformed request never gets here: the session
   * passes it to the node unparsed, which answers and closes, as it would without the tunnel.)
   */
  private fail(side: 'request' | 'reply', e: unknown): void {
    if (this.closed) return;
    if (e instanceof ProtocolError)
      this.log.warn(`malformed ${side} (${e.code}): ${e.message}; closing this connection`);
    else this.log.error(`unexpected ${side} failure: ${(e as Error).stack ?? String(e)}`);
    this.destroy();
  }

  private endClient(): void {
    if (this.closed) return;
    this.client.end();
    // A client that never reads would hold the pair open forever.
    setTimeout(() => this.destroy(), 10_000).unref();
  }

  private readonly onClientError = (e: Error): void => {
    this.log.debug(`client error: ${e.message}`);
    this.destroy();
  };

  private readonly onClientClose = (): void => {
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    // The client is gone: nothing more can be delivered, so the upstream goes too.
    this.upstream?.destroy();
    if (!this.closed) {
      this.closed = true;
      this.log.debug(`closed (${this.bytesIn} bytes in, ${this.bytesOut} bytes out)`);
      this.deps.onClose(this);
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
