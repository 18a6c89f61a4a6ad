import { randomBytes } from 'node:crypto';
import { hashSlot } from '../topology/hash-slot.js';

const SLOTS = 16384;

/**
 * A hash tag for every slot: `{tag}` in a key puts the key in that slot. Found in one pass over
 * small decimal strings (about 170,000 of them hash to every slot at least once).
 */
export function slotTags(): string[] {
  const tags: string[] = new Array(SLOTS);
  let left = SLOTS;
  for (let i = 0; left > 0 && i < 10_000_000; i++) {
    const tag = i.toString(36);
    const slot = hashSlot(tag);
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      left--;
    }
  }
  if (left > 0) throw new Error('no hash tag found for some slots');
  return tags;
}

/** Every slot in these ranges, in order. */
export function slotsOf(ranges: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (const [a, b] of ranges) for (let s = a; s <= b; s++) out.push(s);
  return out;
}

/** Random bytes values are cut from: made once, read at shifting offsets (cheap, and not all alike). */
export class ValuePool {
  private readonly pool: Buffer;
  private offset = 0;

  constructor(private readonly size: number) {
    this.pool = randomBytes(Math.max(1 << 20, size * 4));
  }

  next(): Buffer {
    if (this.offset + this.size > this.pool.length) this.offset = (this.offset % 61) + 1;
    const v = this.pool.subarray(this.offset, this.offset + this.size);
    this.offset += this.size + 7;
    return v;
  }
}

const SET_HEAD = Buffer.from('*3\r\n$3\r\nSET\r\n');
const CRLF = Buffer.from('\r\n');

/** One pipelined batch of SETs as RESP, written into a single buffer. */
export function setBatch(keys: string[], values: ValuePool, valueSize: number): Buffer {
  const valueHead = Buffer.from(`$${valueSize}\r\n`);
  const parts: Buffer[] = [];
  for (const key of keys) {
    parts.push(
      SET_HEAD,
      Buffer.from(`$${Buffer.byteLength(key)}\r\n${key}\r\n`),
      valueHead,
      values.next(),
      CRLF,
    );
  }
  return Buffer.concat(parts);
}
