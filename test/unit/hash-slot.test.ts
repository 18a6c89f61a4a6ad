import { describe, expect, it } from 'vitest';
import { hashSlot, hashSlotAt } from '../../src/topology/hash-slot.js';

/** What `CLUSTER KEYSLOT <key>` answered on redis-server 7.0.15 (the project's cluster). */
const KEYSLOT: Array<[string, number]> = [
  ['foo', 12182],
  ['somekey', 11058],
  ['foo{hash_tag}', 2515],
  ['foo{}{bar}', 8363],
  ['foo{{bar}}zap', 4015],
  ['foo{bar}{zap}', 5061],
  ['{bar', 4015],
  ['bar', 5061],
  ['a{', 14311],
  ['{}', 15257],
  ['x{y}', 12222],
  ['{', 4092],
  ['', 0],
];

describe('hash slots', () => {
  it.each(KEYSLOT)('%j is in the slot a node names', (key, slot) => {
    expect(hashSlot(key)).toBe(slot);
  });

  it('reads a key in place, between other bytes', () => {
    for (const [key, slot] of KEYSLOT) {
      const line = Buffer.from(`{zz}${key}{yy}`);
      expect(hashSlotAt(line, 4, 4 + Buffer.byteLength(key))).toBe(slot);
    }
  });
});
