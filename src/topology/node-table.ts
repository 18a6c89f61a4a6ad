import { AddressMap } from './address-map.js';
import { AddressPlan } from './address-plan.js';
import { hostOf, localAddress } from './endpoint.js';
import type { AddressLookup, ClusterNode, NodeRef, NodeTarget } from './types.js';
import type { Mutable, NodeChange, NodeEntry, NodeTableOptions, TableRecords } from './node-entry.js';

export type { NodeChange, NodeEntry, NodeTableOptions, TableRecords } from './node-entry.js';

/**
 * Every node the tunnel serves, with its identity, remote endpoint, local address, role and
 * slots: the one record of them. The port plan and the address index are parts of it, changed
 * only here. I/O-free: binding listeners and reading topologies happen elsewhere, in reaction to
 * the changes it emits.
 */
export class NodeTable {
  private readonly o: NodeTableOptions;
  private readonly byId = new Map<string, Mutable<NodeEntry>>();
  private readonly plan: AddressPlan;
  private readonly index = new AddressMap();
  private readonly subscribers = new Set<(change: NodeChange) => void>();
  /** masters(), kept until the next change: smart mode asks for it on every keyless request. */
  private mastersInOrder: readonly NodeEntry[] | null = null;
  /** ownerOf()'s answers by the owner's place in the index, kept until the next change. */
  private owners: Array<NodeEntry | undefined> = [];
  /** replicasOf(), per master, kept until the next change. */
  private replicaLists: Map<string, NodeEntry[]> | null = null;
  /** The node discovery started from: clients are pointed at it. */
  seedId: string | undefined;
  /** What the seed turned out to be (see topology/standalone.ts for how a standalone one is held). */
  topology: 'cluster' | 'standalone' = 'cluster';

  constructor(o: NodeTableOptions) {
    this.o = o;
    this.plan = new AddressPlan(o.pins);
  }

  /** Calls `fn` with every change from now on; returns the unsubscribe function. */
  subscribe(fn: (change: NodeChange) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  get(id: string): NodeEntry | undefined {
    return this.byId.get(id);
  }

  entries(): NodeEntry[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  /** The entry clients should be pointed at: the seed, else the first master. */
  get seed(): NodeEntry | undefined {
    return (
      (this.seedId && this.byId.get(this.seedId)) || this.entries().find((e) => e.node.role === 'master')
    );
  }

  /** The node a reply names, if served. */
  find(ref: NodeRef): NodeEntry | undefined {
    const hit = this.index.find(ref);
    return hit && this.byId.get(hit.node.id);
  }

  /** The master that serves `slot`, if served. */
  ownerOf(slot: number): NodeEntry | undefined {
    // Smart mode asks this for every request: an array index, not a look-up by id.
    const place = this.index.ownerPlace(slot);
    if (place === 0) return undefined;
    let entry = this.owners[place];
    if (entry === undefined) this.owners[place] = entry = this.byId.get(this.index.ownerIdAt(place));
    return entry;
  }

  /**
   * Masters that serve slots, by their first slot. A node the last topology did not list is left
   * out: the slots it had when last seen are someone else's now (it was removed, or reset).
   */
  masters(): readonly NodeEntry[] {
    const first = (e: NodeEntry): number => Math.min(...e.node.slots.map(([s]) => s));
    this.mastersInOrder ??= this.entries()
      .filter(
        (e) => e.node.role === 'master' && e.node.slots.length > 0 && !e.adhoc && e.goneSince === undefined,
      )
      .sort((a, b) => first(a) - first(b));
    return this.mastersInOrder;
  }

  /** The replicas the table lists for a master (any health: the caller checks). */
  replicasOf(masterId: string): readonly NodeEntry[] {
    let list = this.replicaLists?.get(masterId);
    if (!list) {
      this.replicaLists ??= new Map();
      list = this.entries().filter((e) => e.node.role === 'replica' && e.node.masterId === masterId);
      this.replicaLists.set(masterId, list);
    }
    return list;
  }

  /** The lookup the rewriters take. */
  readonly lookup: AddressLookup = (ref) => this.index.find(ref)?.local;

  /** The node served at a local port, if any. */
  atLocalPort(port: number): NodeEntry | undefined {
    return this.entries().find((e) => e.local.port === port);
  }

  /** Serves new nodes: each gets a local port (by the plan's rule, seed first) and an entry. */
  add(nodes: ClusterNode[], adhoc = false): NodeEntry[] {
    this.plan.assign(nodes, this.seedId);
    const added = nodes.map((node) => {
      const entry: Mutable<NodeEntry> = {
        node,
        target: this.o.targetOf(node),
        local: localAddress(this.o.localHost, this.plan.portOf(node.id) as number),
        adhoc,
        goneSince: undefined,
      };
      this.byId.set(node.id, entry);
      this.index.set(node, entry.local);
      if (node.role === 'master') this.index.setSlots(node.id, node.slots);
      return entry;
    });
    for (const entry of added) this.emit({ type: 'added', entry });
    return added;
  }

  /**
   * A served node as a newer topology lists it: its address is followed, its local port kept.
   * Emits `updated` only when something about it changed.
   */
  update(node: ClusterNode): void {
    const entry = this.byId.get(node.id);
    if (!entry) return;
    const from = entry.target;
    const changed = describe(entry.node) !== describe(node);
    entry.node = node;
    entry.goneSince = undefined;
    entry.target = this.o.targetOf(node);
    this.index.set(node, entry.local);
    if (node.role === 'master') this.index.setSlots(node.id, node.slots);
    // Even when nothing about the node changed: setSlots may renumber the owners' places.
    this.forgetDerived();
    if (changed) this.emit({ type: 'updated', entry, from });
  }

  /** The ad hoc entry `adhocId` is the real node `real`: it keeps its local port under the real id. */
  adopt(adhocId: string, real: ClusterNode): void {
    const entry = this.byId.get(adhocId);
    if (!entry || this.byId.has(real.id)) return;
    this.byId.delete(adhocId);
    this.index.delete(adhocId);
    this.plan.rename(adhocId, real.id);
    entry.adhoc = false;
    entry.node = real;
    entry.target = this.o.targetOf(real);
    this.byId.set(real.id, entry);
    this.index.set(real, entry.local);
    this.emit({ type: 'adopted', entry, adhocId });
  }

  /** Records that a topology no longer lists the node; returns since when it has been missing. */
  markGone(id: string, now: number): number {
    const entry = this.byId.get(id);
    if (!entry) return now;
    if (entry.goneSince === undefined) {
      entry.goneSince = now;
      this.forgetDerived();
    }
    return entry.goneSince;
  }

  /** The node has left for good: it is no longer served and its port may be given again. */
  retire(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    this.index.delete(id);
    this.plan.release(id);
    this.emit({ type: 'retired', entry });
  }

  /**
   * The node's local port cannot be bound (another process has it). An unpinned node moves to the
   * next free port, which is returned; a pinned one cannot move (undefined).
   */
  movePort(id: string): number | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    const moved = this.plan.portTaken(entry.node);
    if (moved === undefined) return undefined;
    const from = entry.local.port;
    entry.local = localAddress(entry.local.host, moved);
    this.index.set(entry.node, entry.local);
    this.emit({ type: 'port-moved', entry, from });
    return moved;
  }

  /** Every entry as plain data, for a copy of this table in another process. */
  records(): TableRecords {
    const entries = this.entries().map((e) => ({
      node: e.node,
      target: e.target,
      port: e.local.port,
      adhoc: e.adhoc,
      goneSince: e.goneSince,
    }));
    return { seedId: this.seedId, topology: this.topology, owners: this.index.ownerRanges(), entries };
  }

  /**
   * Makes this table hold exactly `r` (a worker following the primary's table): entries are added,
   * changed in place or retired, emitting the changes the original emitted. Local ports are the
   * original's; this table plans none.
   */
  mirror(r: TableRecords): void {
    this.seedId = r.seedId;
    this.topology = r.topology;
    const listed = new Set(r.entries.map((rec) => rec.node.id));
    for (const id of [...this.byId.keys()]) if (!listed.has(id)) this.retire(id);
    for (const { node, target, port, adhoc, goneSince } of r.entries) {
      const entry = this.byId.get(node.id);
      if (!entry) {
        const added = { node, target, local: localAddress(this.o.localHost, port), adhoc, goneSince };
        this.byId.set(node.id, added);
        this.index.set(node, added.local);
        this.emit({ type: 'added', entry: added });
        continue;
      }
      const from = entry.target;
      const changed = describe(entry.node) + describeTarget(from) !== describe(node) + describeTarget(target);
      Object.assign(entry, { node, target, adhoc, goneSince });
      const fromPort = entry.local.port;
      if (fromPort !== port) entry.local = localAddress(this.o.localHost, port);
      this.index.set(node, entry.local);
      if (fromPort !== port) this.emit({ type: 'port-moved', entry, from: fromPort });
      if (changed) this.emit({ type: 'updated', entry, from });
    }
    // Slot owners copied, not worked out again: the original's depend on the order of its updates
    // (a node that left keeps only the slots nobody took).
    this.index.setOwnerRanges(r.owners);
    this.forgetDerived();
  }

  /** The real node behind a local port (for requests that send node addresses to the server). */
  remoteAt(port: number): { host: string; port: number } | undefined {
    const e = this.atLocalPort(port);
    return e && { host: hostOf(e.node) || e.target.host, port: e.node.port };
  }

  /**
   * Forgets what is kept between changes (the masters in order, replica lists, slot owners by
   * place): every change of a node or of the slot owners comes through here.
   */
  private forgetDerived(): void {
    this.owners = [];
    this.mastersInOrder = null;
    this.replicaLists = null;
  }

  private emit(change: NodeChange): void {
    this.forgetDerived();
    for (const fn of this.subscribers) fn(change);
  }
}

function describeTarget(t: NodeTarget): string {
  return `${t.host}|${t.port}|${t.tlsName}|${t.label}`;
}

/** Everything about a node that a subscriber may act on, as one comparable string. */
function describe(n: ClusterNode): string {
  return JSON.stringify([n.ip, n.port, n.hostname, n.endpoint, n.role, n.masterId, n.health, n.slots]);
}
