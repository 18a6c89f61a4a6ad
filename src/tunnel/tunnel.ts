import { describeError, type Logger } from '../log.js';
import { Connector } from '../net/connector.js';
import { reservedFiles } from '../net/file-budget.js';
import { OPEN_FILE_LIMIT, bindFailure, closeServer, listenOn } from '../net/listen.js';
import { NodeError, silentSeedReason } from '../net/node-error.js';
import { answersPlaintext } from '../net/probe.js';
import { TunnelStats } from '../net/stats.js';
import { DiscoveryError } from '../topology/discovery.js';
import { NodeTable } from '../topology/node-table.js';
import type { NodeRef, NodeTarget } from '../topology/types.js';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { memorySocketPair } from '../net/memory-socket.js';
import type { CommandTable } from '../protocol/command-table.js';
import { Credentials } from './credentials.js';
import { StartupError } from './errors.js';
import { Listeners } from './listeners.js';
import { type TunnelOptions, announceHostOf, riskWarnings } from './options.js';
import { Serving, poolSize } from './serving.js';
import { type NodeCommands, TopologyWatcher } from './topology-watcher.js';
import { openCommands, seedTarget, targetFor, transportFrom } from './transport.js';
import { type WorkerRow, WorkerSet } from './workers.js';

/** Longest wait for a plaintext answer when the seed stays silent during the TLS handshake. */
const PLAINTEXT_PROBE_MS = 2000;

/** Below this many open files, the tunnel says at startup how few clients that allows. */
const LOW_FILE_LIMIT = 4096;

/**
 * A tunnel, assembled: the node table and the topology watcher that fills it; pinned mode's
 * listeners, one per node, following the table; and who serves the clients: this process
 * (`Serving`), or with --workers N, N worker processes the primary hands each client to.
 */
export class Tunnel {
  readonly options: TunnelOptions;
  readonly table: NodeTable;
  /** What the tunnel has done: read by the status page and the metrics. */
  readonly stats = new TunnelStats();
  private readonly log: Logger;
  private readonly credentials: Credentials;
  private connector: Connector | null = null;
  private watcher: TopologyWatcher | null = null;
  private listeners: Listeners | null = null;
  private serving: Serving | null = null;
  private workers: WorkerSet | null = null;
  /** The smart port, when the primary listens on it for its workers. */
  private smartServer: net.Server | null = null;
  private stopping = false;
  /** Every listener is up (start() has finished). */
  ready = false;

  constructor(options: TunnelOptions, log: Logger) {
    this.options = options;
    this.log = log.child({ component: 'tunnel' });
    this.table = new NodeTable({
      pins: options.pins,
      localHost: announceHostOf(options),
      targetOf: targetFor(options),
    });
    this.credentials = new Credentials(
      {
        user: options.user,
        password: options.password,
        command: options.authCommand,
        refreshMs: options.authRefreshMs,
      },
      log,
    );
  }

  /** Reads the topology and binds every listener; a StartupError says what failed. */
  async start(): Promise<void> {
    const o = this.options;
    const connector = (this.connector = new Connector(transportFrom(o)));
    await this.credentials.start();
    for (const w of riskWarnings(o)) this.log.warn(w);
    const links = {
      table: this.table,
      credentials: this.credentials,
      stats: this.stats,
      serve: (missing: NodeRef[]) => this.serve(missing),
      refresh: (reason: string) => this.refresh(reason),
    };
    if (o.workers > 1) this.workers = new WorkerSet(o, links, this.log);
    else this.serving = new Serving(o, { ...links, connector }, this.log);
    if (o.mode !== 'smart')
      this.listeners = new Listeners(
        this.table,
        o.bind,
        (socket, entry, self) => {
          if (this.stopping) socket.destroy();
          else if (this.workers) this.workers.pinned(socket, entry);
          else this.serving?.acceptPinned(socket, entry, self);
        },
        this.log,
      );
    const seed = seedTarget(o);
    this.watcher = new TopologyWatcher(
      this.table,
      (target) => this.openCommands(target),
      {
        seed: { target: seed, ...o.seed },
        tls: o.tls,
        refreshIntervalMs: o.refreshIntervalMs,
        retireAfterMs: o.retireAfterMs,
        stats: this.stats,
        topology: o.topology,
        targetOf: targetFor(o),
        measureLag: o.mode !== 'pinned',
        readSlotMoves: o.slotMoves,
      },
      this.log,
    );
    try {
      await this.watcher.start();
    } catch (e) {
      await this.stop();
      throw await this.seedFailure(e, seed);
    }
    this.reportFileLimit();
    try {
      await this.serving?.readCommands(seed);
      await this.listeners?.settle();
      await this.workers?.start(o.workers);
      if (o.mode !== 'pinned') await this.startSmart();
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.ready = true;
  }

  /** Says at startup how many clients a low open-file limit leaves room for (see FileBudget). */
  private reportFileLimit(): void {
    const files = OPEN_FILE_LIMIT;
    if (files === null) return;
    const clients = Math.max(0, files - reservedFiles(this.table.size, poolSize(this.options)));
    const per = this.options.workers > 1 ? ' per worker' : '';
    const line =
      `the open-file limit is ${files}: about ${clients} clients${per} at most, ${Math.floor(clients / 2)} where each ` +
      'takes a connection of its own (--no-share, or MULTI, blocking and subscribe commands)';
    if (files < LOW_FILE_LIMIT) this.log.warn(`${line}; raise it (ulimit -n) for more`);
    else this.log.debug(line);
  }

  /** Smart mode's one port: served here, or accepted here and handed to the workers. */
  private async startSmart(): Promise<void> {
    const o = this.options;
    const workers = this.workers;
    try {
      if (!workers) return await this.serving?.startSmart(!o.inProcess);
      this.smartServer = await listenOn(
        o.bind,
        o.smartPort,
        (socket) => (this.stopping ? socket.destroy() : workers.smart(socket)),
        (e) => this.log.error(`smart port ${o.smartPort}: ${describeError(e)}`),
      );
    } catch (e) {
      if (e instanceof StartupError) throw e;
      throw new StartupError(
        'listen',
        `cannot listen on ${o.bind}:${o.smartPort} for smart mode: ${bindFailure(e)}`,
      );
    }
  }

  /** A smart-mode client connection inside this process (with the inProcess option): its socket. */
  connectInProcess(): Duplex {
    const { server, client } = memorySocketPair();
    if (!this.serving) throw new Error('in-process clients need a tunnel serving in this process');
    this.serving.acceptSmart(server);
    return client;
  }

  /** Re-reads the topology now (see TopologyWatcher.refresh). */
  refresh(reason: string): Promise<boolean> {
    return this.watcher?.refresh(reason) ?? Promise.resolve(false);
  }

  get connectionCount(): number {
    const c = this.connections;
    return c.pinned + c.smart;
  }

  /** With --workers N: each worker's process and clients (null when this process serves). */
  get workerRows(): WorkerRow[] | null {
    return this.workers?.rows() ?? null;
  }

  /** Warm upstream connections waiting in the pool now. */
  get poolIdle(): number {
    return this.workers?.poolIdle ?? this.serving?.pool.idleCount ?? 0;
  }

  /** Client connections open now, per mode. */
  get connections(): { pinned: number; smart: number } {
    return this.workers?.connections ?? this.serving?.connections ?? { pinned: 0, smart: 0 };
  }

  /** Calls `fn` after each credential refresh (--auth-command). */
  onCredentialRefresh(fn: () => void): void {
    this.credentials.onRefresh(() => fn());
  }

  /**
   * Clients per node id: pinned clients of its listener, and smart clients with a connection of
   * their own to it (this process's, or every worker's by their last reports).
   */
  clientsPerNode(): Map<string, { pinned: number; smart: number }> {
    if (this.workers) return this.workers.perNode();
    return new Map((this.serving?.perNode() ?? []).map(([id, pinned, smart]) => [id, { pinned, smart }]));
  }

  /** Local ports listening now: one per served node, and the smart port. */
  get listening(): { nodes: number[]; smart: number | null } {
    const smart = this.serving?.smart || this.smartServer ? this.options.smartPort : null;
    return { nodes: this.listeners?.ports() ?? [], smart };
  }

  /** Stops listening, ends every connection cleanly, and destroys what has not closed after the grace. */
  async stop(graceMs = this.options.stopGraceMs): Promise<void> {
    this.stopping = true;
    this.ready = false;
    this.credentials.stop();
    const closing = Promise.all([this.listeners?.close(), closeServer(this.smartServer)]);
    await Promise.all([this.serving?.close(graceMs), this.workers?.stop(graceMs)]);
    await closing;
    await this.watcher?.stop();
  }

  /**
   * A reply names nodes the tunnel does not serve: the watcher adds them, the listeners bind them.
   * Resolves once they are bound (each wait bounded by the connect timeout), so the rewritten reply
   * can go out and nobody is sent to a closed port.
   */
  private async serve(missing: NodeRef[]): Promise<void> {
    const ms = this.options.connectTimeoutMs;
    await this.watcher?.serve(missing, ms);
    await withTimeout(this.listeners?.bound(missing.map((ref) => this.table.find(ref))), ms);
  }

  /** A command conversation with one node, as the tunnel's user (the `cli` command's @node lines). */
  commandsAt(target: NodeTarget): Promise<NodeCommands> {
    return this.openCommands(target);
  }

  /** The server's command table, once read (null before, or when it could not be). */
  get commandTable(): CommandTable | null {
    return this.serving?.commandTable ?? null;
  }

  private openCommands(target: NodeTarget): Promise<NodeCommands> {
    const auth = this.credentials.authRequest();
    return openCommands(this.connector as Connector, auth, target, this.options.connectTimeoutMs);
  }

  /** Why the seed gave no topology, as a StartupError worded for the user. */
  private async seedFailure(e: unknown, seed: NodeTarget): Promise<StartupError> {
    if (e instanceof StartupError) return e;
    if (e instanceof DiscoveryError && e.code === 'not-cluster')
      return new StartupError('not-cluster', `${e.message} (--topology auto serves standalone servers)`);
    if (e instanceof DiscoveryError) return new StartupError('seed', e.message);
    if (e instanceof NodeError) {
      let reason = e.reason;
      if (e.code === 'silent') {
        const probeMs = Math.min(PLAINTEXT_PROBE_MS, this.options.connectTimeoutMs);
        reason = silentSeedReason(this.options.connectTimeoutMs, await answersPlaintext(seed, probeMs));
      }
      return new StartupError('seed', `seed ${e.node}: ${reason}`);
    }
    return new StartupError('seed', describeError(e));
  }
}

/** Waits for `p`, or for `ms`, whichever comes first. */
function withTimeout(p: Promise<unknown> | undefined, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((r) => (timer = setTimeout(r, ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
