/**
 * The FIFO a connection's reply waiters wait in: order, putting one ahead, draining, and letting go
 * of what it handed out (a busy connection's queue seldom empties, so a taken waiter that stayed
 * in its array would live on with everything it holds).
 */
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/protocol/pending.js';

/** The array behind the queue (white box: what the queue still references). */
const cells = (f: Fifo<object>): unknown[] => (f as unknown as { items: unknown[] }).items;

describe('Fifo', () => {
  it('hands items out in order; unshift puts one ahead; drain returns the rest in order', () => {
    const f = new Fifo<number>();
    for (const n of [1, 2, 3]) f.push(n);
    expect(f.shift()).toBe(1);
    f.unshift(9);
    expect(f.length).toBe(3);
    expect(f.peek()).toBe(9);
    expect(f.drain()).toEqual([9, 2, 3]);
    expect(f.length).toBe(0);
    expect(f.shift()).toBeUndefined();
  });

  it('keeps no reference to an item once it is taken, while others wait', () => {
    const f = new Fifo<object>();
    const items = Array.from({ length: 5 }, (_, i) => ({ i }));
    for (const item of items) f.push(item);
    expect(f.shift()).toBe(items[0]);
    expect(f.shift()).toBe(items[1]);
    expect(cells(f).filter((c) => c !== undefined)).toEqual(items.slice(2));
    // Past the compaction point too: 3,000 waiters in, 2,000 out, never empty.
    const g = new Fifo<object>();
    for (let i = 0; i < 3000; i++) g.push({ i });
    for (let i = 0; i < 2000; i++) expect(g.shift()).toEqual({ i });
    expect(cells(g).filter((c) => c !== undefined)).toHaveLength(1000);
    expect(g.peek()).toEqual({ i: 2000 });
  });
});
