import { unbracket } from './endpoint.js';
import type { ClusterNode } from './types.js';

/**
 * Which local port each node gets.
 *
 * The rule (documented in docs/topologies.md, "Local ports"):
 * 1. A node pinned with --map gets its pinned port.
 * 2. Otherwise a node gets its own port when no other node already has that local port and the
 *    port is free on this machine: with unique ports (the common case) every node keeps its port.
 * 3. Otherwise (nodes sharing a port, as on ElastiCache or Redis Enterprise; or the port taken) the
 *    node gets the next free port above its own.
 * Nodes are taken in a fixed order: the seed, then masters by their first slot, then replicas
 * after their master, then the rest by id; so with every node on 6379 the seed keeps 6379 and the
 * others get 6380, 6381, ... A node keeps its local port for the whole run, whatever changes;
 * nodes that appear later are placed by the same rule around the ports already in use.
 */

/** A --map pin: node (by id, `host:port`, or `hostname:port`) → local port. */
export interface PortPin {
  node: string;
  localPort: number;
}

export class AddressPlan {
  private readonly byId = new Map<string, number>();
  private readonly used = new Set<number>();
  private readonly unusable = new Set<number>();
  private readonly pins: PortPin[];

  constructor(pins: PortPin[] = []) {
    this.pins = pins;
  }

  /** The local port a node already has, if any. */
  portOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** The pin that names this node, if any. */
  pinFor(node: ClusterNode): PortPin | undefined {
    const names = [node.id, `${node.ip}:${node.port}`, node.hostname ? `${node.hostname}:${node.port}` : ''];
    return this.pins.find(
      (p) => names.includes(p.node) || (p.node.length >= 8 && node.id.startsWith(p.node)),
    );
  }

  /** Gives every node of `nodes` that has no port yet a port. */
  assign(nodes: ClusterNode[], seedId?: string): void {
    for (const node of placementOrder(nodes, seedId)) {
      if (this.byId.has(node.id)) continue;
      const port = this.choose(node);
      this.byId.set(node.id, port);
      this.used.add(port);
    }
  }

  /**
   * The port given to `id` cannot be bound here (another process has it). Unpinned nodes move to
   * the next free port; returns it, or undefined for a pinned node (which must then fail).
   */
  portTaken(node: ClusterNode): number | undefined {
    const port = this.byId.get(node.id);
    if (port === undefined) return undefined;
    if (this.pinFor(node)) return undefined;
    this.unusable.add(port);
    this.used.delete(port);
    const next = this.nextFree(port + 1);
    this.byId.set(node.id, next);
    this.used.add(next);
    return next;
  }

  /** A node known by a provisional id (a redirect target) turns out to be `newId`: same port. */
  rename(oldId: string, newId: string): void {
    const port = this.byId.get(oldId);
    if (port === undefined) return;
    this.byId.delete(oldId);
    this.byId.set(newId, port);
  }

  /** A node has left for good: its port may be given again. */
  release(id: string): void {
    const port = this.byId.get(id);
    if (port === undefined) return;
    this.byId.delete(id);
    this.used.delete(port);
  }

  private choose(node: ClusterNode): number {
    const pin = this.pinFor(node);
    if (pin) {
      if (this.used.has(pin.localPort))
        throw new Error(`--map gives local port ${pin.localPort} to two nodes`);
      return pin.localPort;
    }
    if (
      node.port > 0 &&
      !this.used.has(node.port) &&
      !this.unusable.has(node.port) &&
      !this.pinnedElsewhere(node.port)
    ) {
      return node.port;
    }
    return this.nextFree(Math.max(node.port, 1023) + 1);
  }

  private pinnedElsewhere(port: number): boolean {
    return this.pins.some((p) => p.localPort === port);
  }

  private nextFree(from: number): number {
    for (let p = from; p <= 65535; p++) {
      if (!this.used.has(p) && !this.unusable.has(p) && !this.pinnedElsewhere(p)) return p;
    }
    for (let p = 1024; p < from; p++)
      if (!this.used.has(p) && !this.unusable.has(p) && !this.pinnedElsewhere(p)) return p;
    throw new Error('no free local port left');
  }
}

/** Seed first, then masters by first slot, then each master's replicas, then the rest by id. */
export function placementOrder(nodes: ClusterNode[], seedId?: string): ClusterNode[] {
  const firstSlot = (n: ClusterNode): number =>
    n.slots.length ? Math.min(...n.slots.map(([s]) => s)) : 1 << 20;
  const masters = nodes
    .filter((n) => n.role === 'master')
    .sort((a, b) => firstSlot(a) - firstSlot(b) || a.id.localeCompare(b.id));
  const out: ClusterNode[] = [];
  const seen = new Set<string>();
  const push = (n: ClusterNode | undefined): void => {
    if (n && !seen.has(n.id)) {
      seen.add(n.id);
      out.push(n);
    }
  };
  push(nodes.find((n) => n.id === seedId));
  for (const m of masters) push(m);
  for (const m of masters) {
    for (const r of nodes.filter((n) => n.masterId === m.id).sort((a, b) => a.id.localeCompare(b.id)))
      push(r);
  }
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id))) push(n);
  return out;
}

/** Parses `--map NODE=LOCALPORT` (NODE: id or id prefix, host:port, hostname:port). */
export function parsePin(text: string): PortPin {
  const eq = text.lastIndexOf('=');
  const node = text.slice(0, eq);
  const port = Number(text.slice(eq + 1));
  if (eq <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--map ${text}: expected NODE=LOCALPORT (NODE: node id, host:port or hostname:port)`);
  }
  // `[::1]:6379` names the node as servers print it, `::1:6379`.
  const colon = node.lastIndexOf(':');
  const named = colon > 0 ? `${unbracket(node.slice(0, colon))}${node.slice(colon)}` : node;
  return { node: named, localPort: port };
}
