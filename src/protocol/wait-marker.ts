import { encodeCommand } from '../resp/encode.js';
import { hashSlot } from '../topology/hash-slot.js';

/** The commands that wait for replicas to acknowledge the connection's own last write. */
export const WAIT_COMMANDS: readonly string[] = ['wait', 'waitaof'];

/**
 * A write of the tunnel's own that leaves nothing behind: a script that sets a key and deletes it.
 * A node replicates its effects, which moves the connection's write offset to now.
 */
const SCRIPT = "redis.call('set', KEYS[1], '') redis.call('del', KEYS[1]) return 1";

/**
 * WAIT and WAITAOF count the replicas that acknowledged the connection's last write, and a node
 * knows only the writes made on that connection. A tunnel client's writes may have gone on
 * connections it shares, so its WAIT runs on a connection of its own right behind this marker,
 * written after the client's writes were answered: a replica that acknowledged the marker has
 * every write before it, so the count is never more than a node would give the client. The key
 * hashes to a slot of the node (a cluster node refuses others). Made once per slot.
 */
export class WaitMarkers {
  private readonly bySlot = new Map<number, Buffer>();

  /** The marker for a node with these slot ranges; null for one with none (a replica). */
  forNode(node: { slots: ReadonlyArray<readonly [number, number]> }): Buffer | null {
    const slot = node.slots[0]?.[0];
    return slot === undefined ? null : this.for(slot);
  }

  /** The marker request for a node serving `slot`. */
  for(slot: number): Buffer {
    let marker = this.bySlot.get(slot);
    if (!marker) {
      marker = encodeCommand(['EVAL', SCRIPT, '1', keyInSlot(slot)]);
      this.bySlot.set(slot, marker);
    }
    return marker;
  }
}

/** A key of the tunnel's own whose hash tag puts it in `slot` (about 16,000 tries on average). */
function keyInSlot(slot: number): string {
  for (let i = 0; i < 10_000_000; i++) {
    const tag = i.toString(36);
    if (hashSlot(tag) === slot) return `redis-cluster-tunnel:wait-marker:{${tag}}`;
  }
  throw new Error(`no hash tag found for slot ${slot}`);
}
