import { describe, expect, it } from 'vitest';
import { AddressMap } from '../../src/topology/address-map.js';

describe('slot owners', () => {
  it('keeps slots unowned until a master is given them, and follows each move', () => {
    const m = new AddressMap();
    expect(m.ownerOf(0)).toBeUndefined();
    m.setSlots('a', [
      [0, 99],
      [200, 200],
    ]);
    m.setSlots('b', [[100, 16383]]);
    m.setSlots('a', [[300, 300]]);
    expect([m.ownerOf(0), m.ownerOf(99), m.ownerOf(100), m.ownerOf(200), m.ownerOf(300)]).toEqual([
      'a',
      'a',
      'b',
      'b',
      'a',
    ]);
    expect(m.ownerRanges()).toEqual([
      [0, 99, 'a'],
      [100, 299, 'b'],
      [300, 300, 'a'],
      [301, 16383, 'b'],
    ]);
  });

  it('past 65,535 ids ever given slots, keeps those that own one now and takes more', () => {
    const m = new AddressMap();
    for (let i = 0; i < 70_000; i++) m.setSlots(`n${i}`, [[i % 16384, i % 16384]]);
    // Each slot's owner is the last id given it.
    for (const slot of [0, 1, 4_463, 4_464, 16_383])
      expect(m.ownerOf(slot)).toBe(`n${slot < 70_000 % 16384 ? 65_536 + slot : 49_152 + slot}`);
    expect(m.ownerRanges()).toHaveLength(16384);
  });
});
