import { endpointsOf } from './endpoint.js';
import type { LocalAddress, NodeRef, RemoteNode, SlotRange } from './types.js';

function key(host: string, port: number): string {
  return `${host.toLowerCase()}|${port}`;
}

/**
 * Remote node → local address, for the rewriters. Looks a node up by id first, then by any
 * announced endpoint (ip, hostname, preferred endpoint) with its port; `?` and the empty endpoint
 * resolve by port alone when exactly one known node has that port.
 */
export class AddressMap {
  private readonly byId = new Map<string, { node: RemoteNode; local: LocalAddress }>();
  private readonly byEndpoint = new Map<string, string>();
  private readonly byPort = new Map<number, Set<string>>();
  /**
   * Slot → owning node id, from the last topology (for MOVED to `?` or an empty host, and for
   * every smart-mode request): 1 + the id's place in `ownerIds`, 0 for none. Looked up at a
   * random slot for each request, so it is kept small: 32 KiB, where an array of the ids took
   * 128 KiB, and a lookup that missed the cache cost about 100 ns.
   */
  private readonly slotOwners = new Uint16Array(16384);
  private readonly ownerIds: string[] = [];
  private readonly ownerPlaces = new Map<string, number>();

  /** Slot owners as ranges `[start, end, id]` (unowned slots left out): a copy for another process. */
  ownerRanges(): Array<[number, number, string]> {
    const out: Array<[number, number, string]> = [];
    for (let s = 0; s < 16384; s++) {
      const id = this.ownerOf(s);
      if (id === undefined) continue;
      const last = out.at(-1);
      if (last && last[2] === id && last[1] === s - 1) last[1] = s;
      else out.push([s, s, id]);
    }
    return out;
  }

  /** Makes the slot owners exactly `ranges` (see ownerRanges). */
  setOwnerRanges(ranges: Array<[number, number, string]>): void {
    this.slotOwners.fill(0);
    this.ownerIds.length = 0;
    this.ownerPlaces.clear();
    for (const [start, end, id] of ranges) this.setSlots(id, [[start, end]]);
  }

  /** Records the slots a master serves. */
  setSlots(id: string, ranges: SlotRange[]): void {
    if (ranges.length === 0) return;
    let place = this.ownerPlaces.get(id);
    if (place === undefined) {
      // Every id ever given slots keeps a place; past 65,535 of them, only those owning a slot now.
      if (this.ownerIds.length === 0xffff) this.setOwnerRanges(this.ownerRanges());
      this.ownerIds.push(id);
      this.ownerPlaces.set(id, (place = this.ownerIds.length));
    }
    for (const [start, end] of ranges)
      this.slotOwners.fill(place, Math.max(0, start), Math.min(16383, end) + 1);
  }

  set(node: RemoteNode, local: LocalAddress): void {
    this.delete(node.id);
    this.byId.set(node.id, { node, local });
    for (const host of endpointsOf(node)) this.byEndpoint.set(key(host, node.port), node.id);
    let ids = this.byPort.get(node.port);
    if (!ids) this.byPort.set(node.port, (ids = new Set()));
    ids.add(node.id);
  }

  delete(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    for (const host of endpointsOf(old.node)) {
      if (this.byEndpoint.get(key(host, old.node.port)) === id)
        this.byEndpoint.delete(key(host, old.node.port));
    }
    this.byPort.get(old.node.port)?.delete(id);
  }

  /** The id of the master that serves `slot`, by the last topology. */
  ownerOf(slot: number): string | undefined {
    const place = this.ownerPlace(slot);
    return place === 0 ? undefined : this.ownerIdAt(place);
  }

  /**
   * The place of the master that serves `slot` (0: none); ownerIdAt gives its id. A place names
   * one id until setOwnerRanges.
   */
  ownerPlace(slot: number): number {
    return this.slotOwners[slot];
  }

  ownerIdAt(place: number): string {
    return this.ownerIds[place - 1];
  }

  /** The node a reply names, if known. */
  find(ref: NodeRef): { node: RemoteNode; local: LocalAddress } | undefined {
    if (ref.id) {
      const hit = this.byId.get(ref.id);
      if (hit) return hit;
    }
    for (const host of [ref.host, ref.ip, ref.hostname]) {
      if (!host || host === '?') continue;
      const id = this.byEndpoint.get(key(host, ref.port));
      if (id) return this.byId.get(id);
    }
    if (ref.host === '?' || ref.host === '') {
      const ids = this.byPort.get(ref.port);
      if (ids && ids.size === 1) return this.byId.get([...ids][0]);
      // Several nodes share the port: a MOVED names the slot, and the slot has one owner.
      const owner = ref.slot !== undefined ? this.byId.get(this.ownerOf(ref.slot) ?? '') : undefined;
      if (owner && owner.node.port === ref.port) return owner;
    }
    return undefined;
  }

  /** The lookup the rewriters take. */
  readonly lookup = (ref: NodeRef): LocalAddress | undefined => this.find(ref)?.local;
}
