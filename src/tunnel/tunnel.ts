import { describeError, type Logger } from '../log.js';
import { NodeCommander } from '../net/commander.js';
import { Connector } from '../net/connector.js';
import { NodeError, silentSeedReason } from '../net/node-error.js';
import { Pairs } from '../net/pairs.js';
import { answersPlaintext } from '../net/probe.js';
import { requestArgs, rewriteAddressRequest } from '../rewrite/requests.js';
import { DiscoveryError } from '../topology/discovery.js';
import { SmartFront } from '../smart/front.js';
import { SharedPool } from '../smart/shared.js';
import { ScriptCache } from '../smart/scripts.js';
import { CommandTable } from '../smart/command-table.js';
import { Planner } from '../smart/plan.js';
import { TunnelStats } from '../net/stats.js';
import { UpstreamPool } from '../net/pool.js';
import { openFileLimit } from '../net/listen.js';
import { warmPoolFollows } from './warm-pool.js';
import { LocalAuth, rewriteCredentials } from '../protocol/local-auth.js';
import { bindFailure } from '../net/listen.js';
import { NodeTable } from '../topology/node-table.js';
import type { AddressBook, NodeRef, NodeTarget } from '../topology/types.js';
import { Credentials } from './credentials.js';
import { StartupError } from './errors.js';
import { Listeners } from './listeners.js';
import { type TunnelOptions, announceHostOf, isLoopback, riskWarnings } from './options.js';
import { type NodeCommands, TopologyWatcher } from './topology-watcher.js';
import { seedTarget, targetFor, transportFrom } from './transport.js';

/** Longest wait for a plaintext answer when the seed stays silent during the TLS handshake. */
const PLAINTEXT_PROBE_MS = 2000;

/** Below this many open files, the tunnel says at startup how few clients that allows. */
const LOW_FILE_LIMIT = 4096;

/**
 * Pinned mode, assembled: the node table; the topology watcher that fills it; one listener per
 * node, following the table; and the connection pairs behind the listeners. Another front (one
 * port for the whole cluster) would subscribe to the same table instead of `Listeners`.
 */
export class Tunnel {
  readonly options: TunnelOptions;
  readonly table: NodeTable;
  /** What the tunnel has done: read by the status page and the metrics. */
  readonly stats = new TunnelStats();
  /** --local-password: what clients must AUTH with; null when anyone local may connect. */
  private readonly localAuth: LocalAuth | null;
  private readonly log: Logger;
  private readonly credentials: Credentials;
  /** The narrow interface the reply path uses to find, or ask for, a node. */
  private readonly addresses: AddressBook;
  private connector: Connector | null = null;
  private watcher: TopologyWatcher | null = null;
  private listeners: Listeners | null = null;
  private pairs: Pairs | null = null;
  private pool: UpstreamPool | null = null;
  private unfollowPool = (): void => {};
  private smart: SmartFront | null = null;
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
    this.localAuth = options.localPassword ? new LocalAuth(options.localPassword, options.localUser) : null;
    this.addresses = {
      lookup: this.table.lookup,
      tls: options.tls,
      ensure: (missing) => this.serve(missing),
    };
  }

  /** Reads the topology and binds every listener; a StartupError says what failed. */
  async start(): Promise<void> {
    const o = this.options;
    const connector = (this.connector = new Connector(transportFrom(o)));
    await this.credentials.start();
    for (const w of riskWarnings(o)) this.log.warn(w);
    const files = openFileLimit();
    // Each pinned client holds two descriptors (its socket and its node's), a smart client one.
    if (files !== null && files < LOW_FILE_LIMIT)
      this.log.warn(
        `the open-file limit is ${files}: about ${Math.floor(files / 2)} pinned clients at most; raise it (ulimit -n) for more`,
      );
    else if (files !== null) this.log.debug(`open-file limit ${files}`);
    // Smart mode shares pipelined upstreams; only pinned clients open one each.
    const pool = (this.pool = new UpstreamPool(
      connector,
      () => this.credentials.authRequest(),
      o.mode === 'smart' ? 0 : o.pool,
      this.log,
      this.stats.pool,
    ));
    const pairs = (this.pairs = new Pairs({
      connector,
      pool,
      auth: () => this.credentials.authRequest(),
      addresses: this.addresses,
      rewriteRequest: this.rewriteRequest,
      localAuth: this.localAuth,
      maxFrameBytes: o.maxFrameBytes,
      log: this.log,
      stats: this.stats,
      onUnreachable: (target) => void this.watcher?.refresh(`${target.label} unreachable`),
    }));
    this.credentials.onRefresh((auth) => {
      pairs.reauthenticate(auth);
      pool.refreshCredentials();
    });
    if (o.mode !== 'smart')
      this.listeners = new Listeners(
        this.table,
        o.bind,
        (socket, entry, self) =>
          this.stopping ? socket.destroy() : pairs.accept(socket, entry.target, self),
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
      },
      this.log,
    );
    try {
      await this.watcher.start();
    } catch (e) {
      await this.stop();
      throw await this.seedFailure(e, seed);
    }
    try {
      await this.listeners?.settle();
      if (o.mode !== 'pinned') await this.startSmart(seed);
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.unfollowPool = warmPoolFollows(this.table, pool);
    this.ready = true;
  }

  /** Smart mode: the server's command table from the seed, then the one port. */
  private async startSmart(seed: NodeTarget): Promise<void> {
    const o = this.options;
    let commands: CommandTable;
    try {
      const conversation = await this.openCommands(seed);
      try {
        commands = new CommandTable(await conversation.ask(['COMMAND']));
      } finally {
        conversation.close();
      }
    } catch (e) {
      throw new StartupError(
        'seed',
        `seed ${describeError(e)}: cannot read the command table for smart mode`,
      );
    }
    this.smart = new SmartFront(
      {
        table: this.table,
        planner: new Planner(commands),
        connector: this.connector as Connector,
        auth: () => this.credentials.authRequest(),
        refresh: (reason) => this.refresh(reason),
        scripts: new ScriptCache(),
        shared: new SharedPool(
          {
            connector: this.connector as Connector,
            auth: () => this.credentials.authRequest(),
            stats: this.stats,
          },
          this.log,
        ),
        maxFrameBytes: o.maxFrameBytes,
        log: this.log,
        stats: this.stats,
        localAuth: this.localAuth,
      },
      this.log,
    );
    try {
      await this.smart.listen(o.bind, o.smartPort, () => !this.stopping);
    } catch (e) {
      throw new StartupError(
        'listen',
        `cannot listen on ${o.bind}:${o.smartPort} for smart mode: ${bindFailure(e)}`,
      );
    }
    this.log.debug(`smart mode: ${commands.size} commands in the server's table`);
  }

  /** Re-reads the topology now (see TopologyWatcher.refresh). */
  refresh(reason: string): Promise<boolean> {
    return this.watcher?.refresh(reason) ?? Promise.resolve(false);
  }

  get connectionCount(): number {
    return (this.pairs?.size ?? 0) + (this.smart?.size ?? 0);
  }

  /** Warm upstream connections waiting in the pool now. */
  get poolIdle(): number {
    return this.pool?.idleCount ?? 0;
  }

  /** Client connections open now, per mode. */
  get connections(): { pinned: number; smart: number } {
    return { pinned: this.pairs?.size ?? 0, smart: this.smart?.size ?? 0 };
  }

  /** Local ports listening now: one per served node, and the smart port. */
  get listening(): { nodes: number[]; smart: number | null } {
    return { nodes: this.listeners?.ports() ?? [], smart: this.smart ? this.options.smartPort : null };
  }

  /** Stops listening, ends every connection cleanly, and destroys what has not closed after the grace. */
  async stop(graceMs = this.options.stopGraceMs): Promise<void> {
    this.stopping = true;
    this.ready = false;
    this.credentials.stop();
    this.unfollowPool();
    this.pool?.close();
    const closing = Promise.all([this.listeners?.close(), this.smart?.close()]);
    await this.pairs?.close(graceMs);
    await closing;
    await this.watcher?.stop();
  }

  /** The narrow interface the reply path uses to find, or ask for, a node. */

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

  private async openCommands(target: NodeTarget): Promise<NodeCommands> {
    const open = await (this.connector as Connector).open(target, this.credentials.authRequest());
    const commander = new NodeCommander(open, target.label, this.options.connectTimeoutMs);
    return { ask: (args) => commander.command(args), close: () => commander.close() };
  }

  /** A local listener address (as clients see it) → the real node behind it. */
  private readonly toRemote = (host: string, port: number): { host: string; port: number } | undefined => {
    const o = this.options;
    if (host !== announceHostOf(o) && host !== o.bind && !isLoopback(host)) return undefined;
    return this.table.remoteAt(port);
  };

  private readonly rewriteRequest = (request: Buffer): Buffer | null => {
    if (this.localAuth) {
      const credentials = rewriteCredentials(requestArgs(request), this.localAuth);
      if (credentials) return credentials;
    }
    return rewriteAddressRequest(request, {
      toRemote: this.toRemote,
      migrateAuth: this.credentials.migrateAuth(),
    });
  };

  /** Why the seed gave no topology, as a StartupError worded for the user. */
  private async seedFailure(e: unknown, seed: NodeTarget): Promise<StartupError> {
    if (e instanceof StartupError) return e;
    if (e instanceof DiscoveryError)
      return new StartupError(e.code === 'not-cluster' ? 'not-cluster' : 'seed', e.message);
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
