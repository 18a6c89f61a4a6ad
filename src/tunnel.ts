import * as net from 'node:net';
import type { Logger } from './log.js';
import { StartupError, connectSettingsFrom, runAuthCommand } from './settings.js';

export { StartupError } from './settings.js';
import { type ConnectSettings, NodeCommander, NodeError, type NodeTarget, openNode } from './net/connect.js';
import { listenOn } from './net/listen.js';
import { encodeCommand } from './resp/encode.js';
import { ConnectionPair } from './net/pair.js';
import { type TunnelOptions, announceHostOf, isLoopback, resolveDial } from './options.js';
import type { LocalAddress, NodeRef } from './rewrite/address.js';
import { rewriteAddressRequest } from './rewrite/requests.js';
import { AddressMap } from './topology/address-map.js';
import { AddressPlan } from './topology/address-plan.js';
import { discover } from './topology/discovery.js';
import type { ClusterNode } from './topology/parse.js';

/** One node the tunnel serves. */
export interface NodeEntry {
  node: ClusterNode;
  local: LocalAddress;
  target: NodeTarget;
  server: net.Server | null;
  /** When the node was first missing from a refreshed topology. */
  goneSince?: number;
  /** Made for a redirect target no topology listed yet (its id is `adhoc:host:port`). */
  adhoc?: boolean;
  /** Settles once the listener is bound (or failed to bind). */
  ready?: Promise<void>;
}

/** Where a node says it is: its IP, else its hostname ('' when it announces neither). */
const hostOf = (node: ClusterNode): string => node.ip || node.hostname || '';

const describeRef = (r: NodeRef): string =>
  `${r.host || '(this node)'}:${r.port}${r.id ? ` (${r.id.slice(0, 8)})` : ''}`;

export class Tunnel {
  readonly options: TunnelOptions;
  readonly map = new AddressMap();
  readonly entries = new Map<string, NodeEntry>();
  private readonly plan: AddressPlan;
  private readonly log: Logger;
  private readonly pairs = new Set<ConnectionPair>();
  private settings: ConnectSettings | null = null;
  private seedId: string | undefined;
  private stopping = false;
  private refreshing: Promise<boolean> | null = null;
  private lastRefresh = 0;
  private timer: NodeJS.Timeout | null = null;
  private authTimer: NodeJS.Timeout | null = null;

  constructor(options: TunnelOptions, log: Logger) {
    this.options = options;
    this.log = log.child({ component: 'tunnel' });
    this.plan = new AddressPlan(options.pins);
  }

  async start(): Promise<void> {
    const o = this.options;
    this.settings = connectSettingsFrom(o);
    if (o.authCommand) await this.startAuthCommand(o.authCommand);
    if (o.insecure && o.tls)
      this.log.warn(
        '--insecure: node certificates are not verified; anyone on the path can read the traffic',
      );
    if (!isLoopback(o.bind)) {
      this.log.warn(
        `listening on ${o.bind}, not loopback: anyone who reaches these ports uses the tunnel's credentials`,
      );
    }
    const target = this.seedTarget();
    let nodes: ClusterNode[];
    try {
      nodes = await this.discoverFrom(target);
    } catch (e) {
      if (e instanceof NodeError) throw new StartupError(`seed ${e.node}: ${e.reason}`);
      throw new StartupError(e instanceof Error ? e.message : String(e));
    }
    this.log.info(`discovered ${nodes.length} nodes from ${target.label}`);
    const seed = nodes.find(
      (n) => n.port === target.port && [n.ip, n.hostname, n.endpoint].includes(this.options.seed.host),
    );
    this.seedId = seed?.id;
    try {
      await this.apply(nodes, true);
    } catch (e) {
      await this.closeServers();
      throw e;
    }
    if (o.refreshIntervalMs > 0) {
      this.timer = setInterval(() => void this.refresh('periodic'), o.refreshIntervalMs);
      this.timer.unref();
    }
  }

  /** Runs --auth-command now (a failure stops startup) and every --auth-refresh ms after. */
  private async startAuthCommand(command: string): Promise<void> {
    const settings = this.settings as ConnectSettings;
    try {
      settings.password = await runAuthCommand(command);
    } catch (e) {
      throw new StartupError((e as Error).message);
    }
    this.authTimer = setInterval(() => {
      runAuthCommand(command).then(
        (token) => {
          // New connections authenticate with the new token; open ones re-authenticate with it
          // (Azure Entra disconnects a connection whose token expires without a fresh AUTH).
          settings.password = token;
          const auth = encodeCommand(
            this.options.user ? ['AUTH', this.options.user, token] : ['AUTH', token],
          );
          for (const pair of this.pairs) pair.reauth(auth);
        },
        (e: Error) => this.log.warn(`${e.message}; new connections keep using the previous token`),
      );
    }, this.options.authRefreshMs);
    this.authTimer.unref();
  }

  /** The seed's entry: what clients should be pointed at. */
  get seed(): NodeEntry | undefined {
    return (
      (this.seedId && this.entries.get(this.seedId)) ||
      [...this.entries.values()].find((e) => e.node.role === 'master')
    );
  }

  private seedTarget(): NodeTarget {
    const { host, port } = this.options.seed;
    const dial = resolveDial(this.options.resolve, host, port) ?? host;
    return { host: dial, port, label: `${host}:${port}`, tlsName: this.options.sni ?? host };
  }

  /** Node → dial target, with the TLS name rule: --sni, else its hostname, else the seed's name, else its IP. */
  targetFor(node: ClusterNode): NodeTarget {
    const seedHost = this.options.seed.host;
    const host = hostOf(node) || seedHost;
    const seedIsName = net.isIP(seedHost) === 0;
    const tlsName = this.options.sni ?? node.hostname ?? (seedIsName ? seedHost : host);
    const rules = this.options.resolve;
    const dial =
      (node.hostname && resolveDial(rules, node.hostname, node.port)) ||
      resolveDial(rules, host, node.port) ||
      host;
    return { host: dial, port: node.port, label: `${node.hostname ?? host}:${node.port}`, tlsName };
  }

  private async discoverFrom(target: NodeTarget): Promise<ClusterNode[]> {
    const open = await openNode(target, this.settings as ConnectSettings);
    const commander = new NodeCommander(open, target.label, this.options.connectTimeoutMs);
    try {
      const topology = await discover(
        (args) => commander.command(args),
        target.label,
        this.options.tls,
        target.host,
      );
      this.log.debug(`${topology.nodes.length} nodes from ${topology.source} at ${target.label}`);
      return topology.nodes;
    } finally {
      commander.close();
    }
  }

  /**
   * Brings listeners and the address map in line with a topology: new nodes get a port and a
   * listener (bound before this resolves), changed addresses are followed, nodes that left are
   * retired after the grace period. Local ports never change for a node.
   */
  private async apply(nodes: ClusterNode[], startup = false): Promise<void> {
    // A redirect target served ad hoc becomes the real node when a topology lists it.
    for (const entry of [...this.entries.values()].filter((e) => e.adhoc)) {
      const real = nodes.find(
        (n) => n.port === entry.node.port && [n.ip, n.hostname, n.endpoint].includes(hostOf(entry.node)),
      );
      if (real && !this.entries.has(real.id)) this.adopt(entry, real);
    }
    this.plan.assign(nodes, this.seedId);
    for (const n of nodes) if (n.role === 'master') this.map.setSlots(n.id, n.slots);
    const fresh: NodeEntry[] = [];
    for (const node of nodes) {
      const entry = this.entries.get(node.id);
      if (entry) {
        this.update(entry, node);
        continue;
      }
      fresh.push(this.addEntry(node));
    }
    await Promise.all(fresh.map((e) => (e.ready = this.listen(e, startup))));
    if (!startup)
      for (const e of fresh)
        this.log.info(
          `new node ${e.target.label} (${e.node.role}) served at ${e.local.host}:${e.local.port}`,
        );
    const ids = new Set(nodes.map((n) => n.id));
    const now = Date.now();
    for (const entry of [...this.entries.values()]) {
      // Ad hoc entries too: a redirect target that no topology ever lists goes after the grace period.
      if (ids.has(entry.node.id)) continue;
      entry.goneSince ??= now;
      if (now - entry.goneSince >= this.options.retireAfterMs) await this.retire(entry);
    }
  }

  /** Registers a node the plan has given a port; its listener is bound by the caller. */
  private addEntry(node: ClusterNode, adhoc = false): NodeEntry {
    const entry: NodeEntry = {
      node,
      local: { host: announceHostOf(this.options), port: this.plan.portOf(node.id) as number },
      target: this.targetFor(node),
      server: null,
      adhoc,
    };
    this.entries.set(node.id, entry);
    this.map.set(node, entry.local);
    return entry;
  }

  private update(entry: NodeEntry, node: ClusterNode): void {
    const before = entry.target;
    entry.node = node;
    entry.goneSince = undefined;
    entry.target = this.targetFor(node);
    this.map.set(node, entry.local);
    if (before.host !== entry.target.host || before.port !== entry.target.port) {
      this.log.info(
        `node ${node.id.slice(0, 8)} moved from ${before.label} to ${entry.target.label}; still served at ${entry.local.port}`,
      );
    }
  }

  private adopt(entry: NodeEntry, real: ClusterNode): void {
    this.entries.delete(entry.node.id);
    this.map.delete(entry.node.id);
    this.plan.rename(entry.node.id, real.id);
    entry.adhoc = false;
    entry.node = real;
    entry.target = this.targetFor(real);
    this.entries.set(real.id, entry);
    this.map.set(real, entry.local);
  }

  private async retire(entry: NodeEntry): Promise<void> {
    this.log.info(`node ${entry.target.label} left the cluster; closing its listener ${entry.local.port}`);
    this.entries.delete(entry.node.id);
    this.map.delete(entry.node.id);
    this.plan.release(entry.node.id);
    await new Promise<void>((r) => (entry.server?.listening ? entry.server.close(() => r()) : r()));
  }

  /** Binds a node's listener; an unpinned node whose port is taken moves to the next free port. */
  private async listen(entry: NodeEntry, startup: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        entry.server = await listenOn(
          this.options.bind,
          entry.local.port,
          (socket) => this.accept(entry, socket),
          (e) => this.log.error(`listener ${entry.local.port}: ${e.message}`),
        );
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const moved = code === 'EADDRINUSE' && attempt < 50 ? this.plan.portTaken(entry.node) : undefined;
        if (moved === undefined) {
          const why =
            code === 'EADDRINUSE'
              ? 'address in use'
              : code === 'EADDRNOTAVAIL'
                ? 'address not available here'
                : (e as Error).message;
          const message = `cannot listen on ${this.options.bind}:${entry.local.port} for node ${entry.target.label}: ${why}`;
          if (startup) throw new StartupError(message);
          this.log.error(message);
          return;
        }
        this.log.info(`local port ${entry.local.port} is taken; node ${entry.target.label} gets ${moved}`);
        entry.local = { ...entry.local, port: moved };
        this.map.set(entry.node, entry.local);
      }
    }
  }

  /**
   * Re-reads the topology from the seed, else any node that answers. One refresh at a time;
   * never throws: a failed refresh is logged and the tunnel keeps serving what it knows.
   */
  refresh(reason: string): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    this.refreshing ??= this.runRefresh(reason).finally(() => {
      this.refreshing = null;
      this.lastRefresh = Date.now();
    });
    return this.refreshing;
  }

  private async runRefresh(reason: string): Promise<boolean> {
    const candidates = [this.seedTarget(), ...this.refreshTargets()];
    const failures: string[] = [];
    for (const target of candidates) {
      try {
        const nodes = await this.discoverFrom(target);
        await this.apply(nodes);
        this.log.debug(`topology refreshed (${reason}) from ${target.label}: ${nodes.length} nodes`);
        return true;
      } catch (e) {
        failures.push(e instanceof NodeError ? `${e.node}: ${e.reason}` : String(e));
      }
    }
    this.log.warn(
      `topology refresh (${reason}) failed everywhere; serving the last known topology. ${failures.join('; ')}`,
    );
    return false;
  }

  /** Known nodes to ask, healthy masters first. */
  private refreshTargets(): NodeTarget[] {
    const rank = (e: NodeEntry): number =>
      e.node.health !== 'online' ? 2 : e.node.role === 'master' ? 0 : 1;
    return [...this.entries.values()]
      .filter((e) => !e.adhoc)
      .sort((a, b) => rank(a) - rank(b))
      .map((e) => e.target);
  }

  /**
   * A reply names nodes the tunnel does not serve: re-read the topology (at most once a second),
   * then serve any still-unknown redirect target ad hoc. Resolves once their listeners are bound
   * (or after the connect timeout), so the rewritten reply can go out.
   */
  async learn(missing: NodeRef[]): Promise<void> {
    this.log.info(
      `reply names ${missing.map(describeRef).join(', ')}, not served yet: refreshing the topology`,
    );
    const bounded = (p: Promise<unknown>): Promise<unknown> =>
      Promise.race([p, new Promise((r) => setTimeout(r, this.options.connectTimeoutMs).unref())]);
    if (Date.now() - this.lastRefresh > 1000 || this.refreshing)
      await bounded(this.refresh('unknown node in a reply'));
    const adhoc: NodeEntry[] = [];
    for (const ref of missing) {
      if (this.map.lookup(ref) || !ref.host || ref.host === '?' || ref.port <= 0) continue;
      const id = `adhoc:${ref.host}:${ref.port}`;
      if (this.entries.has(id)) continue;
      const isIp = net.isIP(ref.host) !== 0;
      const node: ClusterNode = {
        id,
        ip: isIp ? ref.host : '',
        hostname: isIp ? undefined : ref.host,
        port: ref.port,
        role: 'master',
        slots: [],
        health: 'online',
      };
      this.plan.assign([node]);
      adhoc.push(this.addEntry(node, true));
    }
    for (const e of adhoc) e.ready = this.listen(e, false);
    // Also wait for listeners another reply started binding: nobody is sent to a closed port.
    const pending = missing
      .map((ref) => this.map.find(ref)?.node.id)
      .map((id) => (id ? this.entries.get(id)?.ready : undefined));
    await bounded(Promise.all(pending));
    for (const e of adhoc)
      this.log.info(
        `serving redirect target ${e.target.label} at ${e.local.host}:${e.local.port} until a topology lists it`,
      );
  }

  /** A local listener address (as clients see it) → the real node behind it. */
  readonly toRemote = (host: string, port: number): { host: string; port: number } | undefined => {
    const local = announceHostOf(this.options);
    if (host !== local && host !== this.options.bind && !isLoopback(host)) return undefined;
    for (const e of this.entries.values()) {
      if (e.local.port === port) return { host: hostOf(e.node) || e.target.host, port: e.node.port };
    }
    return undefined;
  };

  private readonly rewriteRequest = (request: Buffer): Buffer | null =>
    rewriteAddressRequest(request, {
      toRemote: this.toRemote,
      // The current password: --auth-command may have replaced it since startup.
      migrateAuth: this.settings?.password
        ? { user: this.options.user, password: this.settings.password }
        : undefined,
    });

  private accept(entry: NodeEntry, socket: net.Socket): void {
    if (this.stopping) return void socket.destroy();
    const pair = new ConnectionPair(socket, {
      target: entry.target,
      self: { host: hostOf(entry.node) || entry.target.host, port: entry.node.port },
      settings: this.settings as ConnectSettings,
      lookup: this.map.lookup,
      learn: (missing) => this.learn(missing),
      rewriteRequest: this.rewriteRequest,
      maxFrameBytes: this.options.maxFrameBytes,
      log: this.log.child({ component: 'conn', node: entry.target.label }),
      onClose: (p) => this.pairs.delete(p),
      onUnreachable: () => void this.refresh(`${entry.target.label} unreachable`),
    });
    this.pairs.add(pair);
    void pair.start();
  }

  get connectionCount(): number {
    return this.pairs.size;
  }

  private async closeServers(): Promise<void> {
    await Promise.all(
      [...this.entries.values()].map(
        (e) =>
          new Promise<void>((resolve) =>
            e.server && e.server.listening ? e.server.close(() => resolve()) : resolve(),
          ),
      ),
    );
  }

  /** Stops listening, ends every connection cleanly, and destroys what has not closed after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.authTimer) clearInterval(this.authTimer);
    const closing = this.closeServers();
    for (const p of this.pairs) p.end();
    const deadline = Date.now() + graceMs;
    while (this.pairs.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const p of this.pairs) p.destroy();
    await closing;
    await this.refreshing;
  }
}
