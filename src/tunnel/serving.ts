import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import type { Connector } from '../net/connector.js';
import { FileBudget, reservedFiles } from '../net/file-budget.js';
import { OPEN_FILE_LIMIT } from '../net/listen.js';
import { PinnedClients } from '../pinned/clients.js';
import { WarmPool } from '../upstream/warm-pool.js';
import type { TunnelStats } from '../net/stats.js';
import { LocalAuth, rewriteCredentials } from '../protocol/local-auth.js';
import { requestArgs, rewriteAddressRequest } from '../rewrite/requests.js';
import { CommandPolicy } from '../protocol/command-policy.js';
import { RequestReading } from '../client/requests.js';
import { ASK_LIMITS, DEFAULT_REQUEST_LIMITS, limitsOf } from '../protocol/request-limits.js';
import type { RequestSizeLimits } from '../resp/request-parser-options.js';
import { CommandTable } from '../protocol/command-table.js';
import { SmartFront } from '../smart/front.js';
import { Planner } from '../smart/plan.js';
import { ScriptCache } from '../smart/script-cache.js';
import { SharedPool } from '../upstream/shared-pool.js';
import type { NodeEntry, NodeTable } from '../topology/node-table.js';
import { PRIMARY_ID } from '../topology/standalone.js';
import type { AddressBook, NodeRef, NodeTarget } from '../topology/types.js';
import type { Credentials } from './credentials.js';
import { StartupError } from './errors.js';
import { type TunnelOptions, announceHostOf, isLoopback } from './options.js';
import { openCommands } from './transport.js';
import { moved, sharedPoolFollows, warmPoolFollows } from './pools-follow-table.js';

/**
 * What serving clients needs from whoever keeps the topology: the tunnel in this process, or the
 * primary (the worker set holds the same, less the connector, which each worker makes itself).
 */
export interface TopologyLinks {
  table: NodeTable;
  credentials: Credentials;
  stats: TunnelStats;
  /** A reply names nodes not served yet: resolves once they are (see Tunnel.serve). */
  serve: (missing: NodeRef[]) => Promise<void>;
  /** Re-read the topology now; resolves with whether it was read. */
  refresh: (reason: string) => Promise<boolean>;
}

export interface ServingLinks extends TopologyLinks {
  connector: Connector;
}

/** Warm connections per node: smart mode shares pipelined upstreams; only pinned clients take one. */
export function poolSize(o: TunnelOptions): number {
  return o.mode === 'smart' ? 0 : o.pool;
}

/**
 * The half of a tunnel that serves clients: pinned mode's clients and warm pool, and
 * smart mode's front. The tunnel builds one in its own process, or each worker process builds
 * one while the primary keeps the topology (see workers.ts). It reads the node table and never
 * writes to it.
 */
export class Serving {
  readonly pairs: PinnedClients;
  readonly pool: WarmPool;
  /** One pipelined connection per node, for pinned clients' plain requests and smart mode's. */
  readonly shared: SharedPool;
  smart: SmartFront | null = null;
  /** The server's command table (null until read), and smart mode's planner made from it. */
  private commands: CommandTable | null = null;
  private planner: Planner | null = null;
  /** How both modes read requests, with the policy made from the table (see RequestReading). */
  private reading = RequestReading.UNREAD;
  /** How large a request may be: the tunnel's cap, and the nodes' own limit once read (readCommands). */
  private requestSizes: RequestSizeLimits;
  /** The open-file limit, shared out between clients and the tunnel's own connections. */
  readonly files: FileBudget;
  private readonly localAuth: LocalAuth | null;
  private readonly unfollowPool: () => void;
  private readonly unfollowShared: () => void;
  private readonly unfollowPrimary: () => void;
  private closing = false;

  constructor(
    private readonly options: TunnelOptions,
    private readonly links: ServingLinks,
    private readonly log: Logger,
  ) {
    const o = options;
    const { connector, credentials, stats, table } = links;
    this.requestSizes = { maxFrameBytes: o.maxFrameBytes, ...DEFAULT_REQUEST_LIMITS };
    this.localAuth = o.localPassword ? new LocalAuth(o.localPassword, o.localUser) : null;
    const pool = poolSize(o);
    this.files = new FileBudget(OPEN_FILE_LIMIT, () => reservedFiles(table.size, pool), stats, log);
    const addresses: AddressBook = { lookup: table.lookup, tls: o.tls, ensure: (m) => links.serve(m) };
    this.pool = new WarmPool(connector, () => credentials.authRequest(), pool, log, stats.pool);
    const auth = (): Buffer | null => credentials.authRequest();
    this.shared = new SharedPool({ connector, auth, stats, log }, log);
    this.pairs = new PinnedClients({
      connector,
      pool: this.pool,
      files: this.files,
      shared: o.share ? this.shared : null,
      isTunnelCredential: (attempt) => credentials.isOwn(attempt),
      auth: () => credentials.authRequest(),
      addresses,
      rewriteRequest: this.rewriteRequest,
      localAuth: this.localAuth,
      maxFrameBytes: o.maxFrameBytes,
      requestLimits: () => this.requestSizes,
      clientOutputLimit: o.clientOutputLimit,
      reading: () => this.reading,
      log,
      stats,
      hotKeys: o.hotKeys,
      onUnreachable: (target) => void links.refresh(`${target.label} unreachable`),
      refresh: (reason) => void links.refresh(reason),
    });
    credentials.onRefresh((auth) => {
      this.pairs.reauthenticate(auth);
      this.shared.reauthenticate(auth);
      this.pool.refreshCredentials();
    });
    this.unfollowPool = warmPoolFollows(table, this.pool);
    this.unfollowShared = sharedPoolFollows(table, this.shared);
    this.unfollowPrimary = table.subscribe((change) => {
      if (moved(change) && change.entry.node.id === PRIMARY_ID) this.pairs.primaryMoved(change.entry);
    });
  }

  /**
   * Reads the server's command table from the seed: the policy both modes share is built from it.
   * Until it is read, pinned clients take connections of their own. Smart mode cannot start
   * without it; pinned mode warns and shares nothing.
   */
  async readCommands(seed: NodeTarget): Promise<void> {
    const { links, options: o } = this;
    try {
      const conversation = await openCommands(
        links.connector,
        links.credentials.authRequest(),
        seed,
        o.connectTimeoutMs,
      );
      try {
        this.commands = new CommandTable(await conversation.ask(['COMMAND']));
        // Its own failure is not the table's: the default limits stand.
        await conversation.ask(ASK_LIMITS).then(
          (reply) => this.readLimits(reply),
          (e: unknown) => this.log.debug(`request limits not read: ${describeError(e)}`),
        );
      } finally {
        conversation.close();
      }
    } catch (e) {
      const why = `seed ${describeError(e)}: cannot read the command table`;
      if (o.mode !== 'pinned') throw new StartupError('seed', `${why} for smart mode`);
      this.log.warn(`${why}; every client takes a connection of its own`);
      return;
    }
    const planner = (this.planner = new Planner(this.commands, new CommandPolicy(this.commands)));
    this.reading = new RequestReading(planner.policy, planner.batchNames);
    this.log.debug(`${this.commands.size} commands in the server's table`);
  }

  /**
   * The nodes' own request limits, from the seed's CONFIG GET: a node refuses a longer argument as
   * it reads it and closes the connection, which may be a shared one. A seed that does not say
   * (CONFIG refused or renamed, as managed services do) is taken to keep Redis's default.
   */
  private readLimits(reply: Buffer): void {
    const limits = limitsOf(reply);
    if ('unknown' in limits) {
      this.log.debug(
        `request limits: ${limits.unknown}; arguments up to ${DEFAULT_REQUEST_LIMITS.maxBulkBytes} bytes`,
      );
      return;
    }
    this.requestSizes = { ...this.requestSizes, ...limits };
    if (limits.maxBulkBytes !== DEFAULT_REQUEST_LIMITS.maxBulkBytes)
      this.log.info(`the nodes take arguments of up to ${limits.maxBulkBytes} bytes (proto-max-bulk-len)`);
  }

  /** The server's command table (null until read). */
  get commandTable(): CommandTable | null {
    return this.commands;
  }

  /** Smart mode's front (listening if asked), once the command table is read (readCommands). */
  async startSmart(listen: boolean): Promise<void> {
    const { links, options: o } = this;
    const planner = this.planner;
    if (!planner) throw new StartupError('seed', 'smart mode needs the command table');
    if (o.hotKeys) this.sampleKeys(planner);
    const auth = (): Buffer | null => links.credentials.authRequest();
    this.smart = new SmartFront(
      {
        table: links.table,
        planner,
        reading: this.reading,
        connector: links.connector,
        auth,
        refresh: (reason) => links.refresh(reason),
        scripts: new ScriptCache(),
        shared: this.shared,
        requestLimits: () => this.requestSizes,
        clientOutputLimit: o.clientOutputLimit,
        log: this.log,
        stats: links.stats,
        localAuth: this.localAuth,
        files: this.files,
        isTunnelCredential: (attempt) => links.credentials.isOwn(attempt),
        waitMarkers: this.pairs.waitMarkers,
        readFrom: o.readFrom,
        replicaTurn: { next: 0 },
        maxReplicaLagSeconds: o.maxReplicaLagSeconds,
      },
      this.log,
    );
    if (listen) await this.smart.listen(o.bind, o.smartPort, () => !this.closing);
  }

  /** Has the smart planner sample keys into their master's hot keys (see HotKeys). */
  private sampleKeys(planner: Planner): void {
    const { table, stats } = this.links;
    planner.keySampler = (key, slot) => {
      const owner = table.ownerOf(slot);
      if (owner) stats.nodes.of(owner.node.id).hotKeys.add(key);
    };
  }

  /** A client of a node's listener. */
  acceptPinned(socket: net.Socket, entry: NodeEntry, self: { host: string; port: number }): void {
    if (this.closing) socket.destroy();
    else this.pairs.accept(socket, entry, self);
  }

  /** A client of the smart port. */
  acceptSmart(socket: net.Socket): void {
    if (this.closing || !this.smart) socket.destroy();
    else this.smart.accept(socket);
  }

  /** Client connections open now, per mode. */
  get connections(): { pinned: number; smart: number } {
    return { pinned: this.pairs.size, smart: this.smart?.size ?? 0 };
  }

  /** Clients per node id: pinned ones, and smart ones with a connection of their own to it. */
  perNode(): Array<[string, number, number]> {
    const pinned = this.pairs.perNode();
    const smart = this.smart?.perNode() ?? new Map<string, number>();
    const ids = new Set([...pinned.keys(), ...smart.keys()]);
    return [...ids].map((id) => [id, pinned.get(id) ?? 0, smart.get(id) ?? 0]);
  }

  /** Ends every client connection cleanly; destroys what has not closed after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    this.unfollowPool();
    this.unfollowShared();
    this.unfollowPrimary();
    this.pool.close();
    const smart = this.smart?.close();
    await this.pairs.close(graceMs);
    await smart;
    // Last: pinned clients' shared requests were answered on them while the pairs closed.
    this.shared.close();
  }

  /** A local listener address (as clients see it) → the real node behind it. */
  private readonly toRemote = (host: string, port: number): { host: string; port: number } | undefined => {
    const o = this.options;
    if (host !== announceHostOf(o) && host !== o.bind && !isLoopback(host)) return undefined;
    return this.links.table.remoteAt(port);
  };

  private readonly rewriteRequest = (request: Buffer): Buffer | null => {
    if (this.localAuth) {
      const credentials = rewriteCredentials(requestArgs(request), this.localAuth);
      if (credentials) return credentials;
    }
    return rewriteAddressRequest(request, {
      toRemote: this.toRemote,
      migrateAuth: this.links.credentials.migrateAuth(),
    });
  };
}
