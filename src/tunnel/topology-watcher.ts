import * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import type { Ask } from '../topology/discovery.js';
import { type Reading, type TopologyKind, readTopology } from '../topology/read-topology.js';
import { PRIMARY_ID } from '../topology/standalone.js';
import { probeMasters } from './master-probe.js';
import { hasEndpoint, hostOf } from '../topology/endpoint.js';
import type { NodeEntry, NodeTable } from '../topology/node-table.js';
import type { ClusterNode, NodeRef, NodeTarget } from '../topology/types.js';
import type { TunnelStats } from '../net/stats.js';

/** A short command conversation with one node (discovery), closed when done. */
export interface NodeCommands {
  ask: Ask;
  close(): void;
}

/** Opens a command conversation with a node: the only I/O the watcher needs. */
export type OpenCommands = (target: NodeTarget) => Promise<NodeCommands>;

/** What the seed is taken for: found out at startup (auto), or as the user said. */
export type TopologyChoice = 'auto' | 'cluster' | 'standalone';

/** A node to read the topology from: where to dial, and the address it is known by. */
interface Source {
  target: NodeTarget;
  host: string;
  port: number;
}

export interface WatcherOptions {
  /** Where discovery starts, and the host it was given as (to recognise the seed in the topology). */
  seed: { target: NodeTarget; host: string; port: number };
  /** The upstream speaks TLS (which port of a node is its port). */
  tls: boolean;
  /** How often the topology is re-read; 0: only on demand. */
  refreshIntervalMs: number;
  /** How long a node missing from the topology stays served. */
  retireAfterMs: number;
  /** Where refreshes are counted. */
  stats: TunnelStats;
  /** Cluster, standalone, or find out (the default). */
  topology: TopologyChoice;
  /** How to dial a node (for the primary a standalone replica names). */
  targetOf: (node: ClusterNode) => NodeTarget;
  /** Ask each master how far behind its replicas are (smart mode reads from replicas). */
  measureLag: boolean;
  /** Ask each master which slots it is migrating or importing (the status page shows them). */
  readSlotMoves: boolean;
}

/** On-demand refreshes caused by unknown nodes in replies: at most one per this interval. */
const LEARN_REFRESH_INTERVAL_MS = 1000;

/**
 * Keeps the node table in line with the cluster: discovery at start, periodic and on-demand
 * refresh (the seed first, then any node that answers), ad hoc entries for redirect targets no
 * topology lists yet, and retiring nodes that left. It knows nothing of listeners.
 */
export class TopologyWatcher {
  private readonly table: NodeTable;
  private readonly open: OpenCommands;
  private readonly o: WatcherOptions;
  private readonly log: Logger;
  private refreshing: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** When the last refresh ended, and whether it read a topology. */
  lastRefresh = { at: 0, ok: false };
  /** What the seed turned out to be; null until the first reading when auto. */
  private kind: TopologyKind | null;

  constructor(table: NodeTable, open: OpenCommands, o: WatcherOptions, log: Logger) {
    this.table = table;
    this.open = open;
    this.o = o;
    this.kind = o.topology === 'auto' ? null : o.topology;
    this.log = log.child({ component: 'topology' });
  }

  /** Reads the topology from the seed and fills the table. Throws what discovery threw. */
  async start(): Promise<void> {
    const { target, host, port } = this.o.seed;
    const { nodes } = await this.read(this.o.seed);
    await this.probe(nodes);
    const what = this.kind === 'standalone' ? 'standalone servers' : 'nodes';
    this.log.info(`discovered ${nodes.length} ${what} from ${target.label}`);
    // A standalone seed, even a replica, points clients at the primary: its port follows promotions.
    this.table.seedId =
      this.kind === 'standalone' ? PRIMARY_ID : nodes.find((n) => hasEndpoint(n, host, port))?.id;
    this.apply(nodes, true);
    this.lastRefresh = { at: Date.now(), ok: true };
    this.o.stats.lastRefresh = this.lastRefresh;
    if (this.o.refreshIntervalMs > 0) {
      this.timer = setInterval(() => void this.refresh('periodic'), this.o.refreshIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Re-reads the topology from the seed, else any node that answers. One refresh at a time;
   * never throws: a failed refresh is logged and the table keeps what it knows.
   */
  refresh(reason: string): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    this.refreshing ??= this.runRefresh(reason).then((failure) => {
      const ok = failure === null;
      this.refreshing = null;
      this.lastRefresh = { at: Date.now(), ok };
      this.o.stats.refreshes[ok ? 'ok' : 'failed']++;
      this.o.stats.lastRefresh = { ...this.lastRefresh, ...(failure ? { error: failure } : {}) };
      return ok;
    });
    return this.refreshing;
  }

  /**
   * A reply names nodes the table does not know: re-read the topology (at most once a second),
   * then serve any still-unknown redirect target ad hoc. Waits at most `waitMs` for the refresh;
   * resolves when the table has them.
   */
  async serve(missing: NodeRef[], waitMs: number): Promise<void> {
    const names = missing.map(
      (r) => `${r.host || '(this node)'}:${r.port}${r.id ? ` (${r.id.slice(0, 8)})` : ''}`,
    );
    this.log.info(`reply names ${names.join(', ')}, not served yet: refreshing the topology`);
    if (Date.now() - this.lastRefresh.at > LEARN_REFRESH_INTERVAL_MS || this.refreshing)
      await Promise.race([this.refresh('unknown node in a reply'), delay(waitMs)]);
    const adhoc: ClusterNode[] = [];
    for (const ref of missing) {
      if (this.table.find(ref) || !ref.host || ref.host === '?' || ref.port <= 0) continue;
      const id = `adhoc:${ref.host}:${ref.port}`;
      if (this.table.get(id) || adhoc.some((n) => n.id === id)) continue;
      const isIp = net.isIP(ref.host) !== 0;
      adhoc.push({
        id,
        ip: isIp ? ref.host : '',
        hostname: isIp ? undefined : ref.host,
        port: ref.port,
        role: 'master',
        slots: [],
        health: 'online',
      });
    }
    for (const e of adhoc.map((n) => this.table.add([n], true)[0]))
      this.log.info(
        `serving redirect target ${e.target.label} at ${e.local.host}:${e.local.port} until a topology lists it`,
      );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
  }

  /** One node's view of the topology (see readTopology); the first reading fixes the kind. */
  private async read(source: Source): Promise<Reading> {
    const { target } = source;
    const conversation = await this.open(target);
    try {
      const node = { label: target.label, dialHost: target.host, host: source.host, port: source.port };
      const reading = await readTopology(
        conversation.ask,
        (h, p) => this.askRole(h, p),
        node,
        this.o.tls,
        this.kind,
      );
      this.log.debug(`${reading.nodes.length} nodes from ${reading.source} at ${target.label}`);
      if (reading.proxy && this.kind === null)
        this.log.info(`${target.label} refuses ROLE: serving it as one server, without replicas`);
      this.setKind(reading.kind);
      return reading;
    } finally {
      conversation.close();
    }
  }

  private setKind(kind: TopologyKind): void {
    this.kind = kind;
    this.table.topology = kind;
  }

  /** What each master is asked at a refresh, beyond the topology (see probeMasters). */
  private async probe(nodes: ClusterNode[]): Promise<void> {
    const wants = { lag: this.o.measureLag, slotMoves: this.o.readSlotMoves && this.kind === 'cluster' };
    if (wants.lag || wants.slotMoves) await probeMasters(nodes, wants, this.open, this.o.targetOf, this.log);
  }

  /** ROLE of a server the table may not serve yet (the primary a replica names). */
  private async askRole(host: string, port: number): Promise<Buffer> {
    const target = this.o.targetOf({ id: '', ip: host, port, role: 'master', slots: [], health: 'online' });
    const conversation = await this.open(target);
    try {
      return await conversation.ask(['ROLE']);
    } finally {
      conversation.close();
    }
  }

  /**
   * Null once a topology was read, else why none could be. A standalone replica whose primary did
   * not answer is kept as a last resort: another node may know the primary promoted since.
   */
  private async runRefresh(reason: string): Promise<string | null> {
    const failures: string[] = [];
    let unconfirmed: ClusterNode[] | null = null;
    for (const source of [this.o.seed, ...this.refreshSources()]) {
      try {
        const { nodes, confirmed } = await this.read(source);
        if (!confirmed) {
          unconfirmed ??= nodes;
          failures.push(`${source.target.label}: its primary did not answer as one`);
          continue;
        }
        await this.probe(nodes);
        this.apply(nodes, false);
        this.log.debug(`topology refreshed (${reason}) from ${source.target.label}: ${nodes.length} nodes`);
        return null;
      } catch (e) {
        failures.push(describeError(e));
      }
    }
    if (unconfirmed) this.apply(unconfirmed, false);
    this.log.warn(
      `topology refresh (${reason}) failed everywhere; serving the last known topology. ${failures.join('; ')}`,
    );
    return failures.join('; ') || 'no node to ask';
  }

  /** Known nodes to ask, healthy masters first. */
  private refreshSources(): Source[] {
    const rank = (e: NodeEntry): number =>
      e.node.health !== 'online' ? 2 : e.node.role === 'master' ? 0 : 1;
    return this.table
      .entries()
      .filter((e) => !e.adhoc)
      .sort((a, b) => rank(a) - rank(b))
      .map((e) => ({ target: e.target, host: hostOf(e.node) || e.target.host, port: e.node.port }));
  }

  /**
   * Brings the table in line with a topology: new nodes are added, changed addresses followed,
   * ad hoc entries adopted by the real node, and nodes that left retired after the grace period.
   */
  private apply(nodes: ClusterNode[], startup: boolean): void {
    const table = this.table;
    for (const entry of table.entries().filter((e) => e.adhoc)) {
      const real = nodes.find((n) => hasEndpoint(n, hostOf(entry.node), entry.node.port));
      if (real) table.adopt(entry.node.id, real);
    }
    for (const node of nodes) {
      const entry = table.get(node.id);
      if (!entry) continue;
      const from = entry.target;
      table.update(node);
      const to = (table.get(node.id) as NodeEntry).target;
      if (from.host !== to.host || from.port !== to.port)
        this.log.info(
          `node ${node.id.slice(0, 8)} moved from ${from.label} to ${to.label}; still served at ${entry.local.port}`,
        );
    }
    const added = table.add(nodes.filter((n) => !table.get(n.id)));
    if (!startup) for (const e of added) this.log.debug(`new node ${e.target.label} listed by the cluster`);
    const listed = new Set(nodes.map((n) => n.id));
    const now = Date.now();
    for (const entry of table.entries()) {
      // Ad hoc entries too: a redirect target that no topology ever lists goes after the grace period.
      if (listed.has(entry.node.id)) continue;
      if (now - table.markGone(entry.node.id, now) >= this.o.retireAfterMs) table.retire(entry.node.id);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
