import { describe, expect, it } from 'vitest';
import { HotKeys, SAMPLE_EVERY } from '../../src/net/hot-keys.js';

describe('hot keys', () => {
  it('ranks the most sampled keys first, scaled by the sampling rate', () => {
    const h = new HotKeys();
    const t = 1_000_000;
    for (let i = 0; i < 300; i++) h.add('hot', t);
    for (let i = 0; i < 100; i++) h.add('warm', t);
    for (let i = 0; i < 2000; i++) h.add(`cold:${i}`, t);
    const list = h.list(t);
    expect(list.slice(0, 2).map((k) => k.key)).toEqual(['hot', 'warm']);
    // A count-min sketch never under-counts; with 2048 counters per row it over-counts little here.
    expect(list[0].requests).toBeGreaterThanOrEqual(300 * SAMPLE_EVERY);
    expect(list[0].requests).toBeLessThan(310 * SAMPLE_EVERY);
    expect(list.length).toBe(10);
  });

  it('forgets keys not asked for over two windows (a minute)', () => {
    const h = new HotKeys();
    for (let i = 0; i < 50; i++) h.add('old', 0);
    expect(h.list(29_000)[0].key).toBe('old');
    expect(h.list(61_000)).toEqual([]);
  });
});
