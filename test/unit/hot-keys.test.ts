import { describe, expect, it } from 'vitest';
import { HotKeys, SAMPLE_EVERY } from '../../src/net/hot-keys.js';

describe('hot keys', () => {
  it('ranks the most sampled keys first, scaled by the sampling rate', () => {
    const h = new HotKeys();
    const t = 1_000_000;
    for (let i = 0; i < 300; i++) h.add(Buffer.from('hot'), t);
    for (let i = 0; i < 100; i++) h.add(Buffer.from('warm'), t);
    for (let i = 0; i < 2000; i++) h.add(Buffer.from(`cold:${i}`), t);
    const list = h.list(t);
    expect(list.slice(0, 2).map((k) => k.key)).toEqual(['hot', 'warm']);
    // A count-min sketch never under-counts; with 2048 counters per row it over-counts little here.
    expect(list[0].requests).toBeGreaterThanOrEqual(300 * SAMPLE_EVERY);
    expect(list[0].requests).toBeLessThan(310 * SAMPLE_EVERY);
    expect(list.length).toBe(10);
  });

  it('forgets keys not asked for over two windows (a minute)', () => {
    const h = new HotKeys();
    for (let i = 0; i < 50; i++) h.add(Buffer.from('old'), 0);
    expect(h.list(29_000)[0].key).toBe('old');
    expect(h.list(61_000)).toEqual([]);
  });

  it('lets a key that turns hot after many cold ones into the list, and keeps counting listed keys', () => {
    const h = new HotKeys();
    const t = 5_000_000;
    for (let i = 0; i < 5000; i++) h.add(Buffer.from(`cold:${i}`), t);
    for (let i = 0; i < 40; i++) h.add(Buffer.from('steady'), t);
    for (let i = 0; i < 300; i++) h.add(Buffer.from('late'), t);
    for (let i = 0; i < 40; i++) h.add(Buffer.from('steady'), t);
    const list = h.list(t);
    expect(list.slice(0, 2).map((k) => k.key)).toEqual(['late', 'steady']);
    expect(list[0].requests).toBeGreaterThanOrEqual(300 * SAMPLE_EVERY);
    expect(list[0].requests).toBeLessThan(310 * SAMPLE_EVERY);
    expect(list[1].requests).toBeGreaterThanOrEqual(80 * SAMPLE_EVERY);
    expect(list[1].requests).toBeLessThan(90 * SAMPLE_EVERY);
  });
});
