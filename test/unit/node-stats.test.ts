import { describe, expect, it, vi } from 'vitest';
import { LatencyHistogram, NodeStats, SendTimes, replyKind } from '../../src/net/node-stats.js';

describe('latency histogram', () => {
  it('quantiles to within one bucket (about 19 %)', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.add(i / 10); // 0.1 .. 10 ms
    const p50 = h.quantile(0.5) as number;
    const p99 = h.quantile(0.99) as number;
    expect(p50).toBeGreaterThanOrEqual(5);
    expect(p50).toBeLessThan(5 * 1.19);
    expect(p99).toBeGreaterThanOrEqual(9.9);
    expect(p99).toBeLessThan(9.9 * 1.19);
    expect(h.countUpTo(1000)).toBe(100);
    expect(h.countUpTo(0.05)).toBe(0);
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
  });

  it('a node counts errors and redirects apart', () => {
    const s = new NodeStats();
    s.replied(1, replyKind(Buffer.from('+OK\r\n')));
    s.replied(1, replyKind(Buffer.from('-MOVED 1 127.0.0.1:7001\r\n')));
    s.replied(1, replyKind(Buffer.from('-ASK 1 127.0.0.1:7001\r\n')));
    s.replied(1, replyKind(Buffer.from('-ERR wrong\r\n')));
    expect([s.errors, s.redirects, s.latencyTotal.total]).toEqual([1, 2, 4]);
  });
});

describe('send times', () => {
  it('reads the clock once for the requests of one write and once for the replies of one chunk', () => {
    const clock = vi.spyOn(performance, 'now');
    try {
      const stats = new NodeStats();
      const replied = vi.spyOn(stats, 'replied');
      const times = new SendTimes(stats);
      clock.mockReturnValueOnce(10);
      times.sent(1);
      times.sent(16); // same write: no reading
      times.wrote();
      clock.mockReturnValueOnce(20);
      times.sent(2);
      times.reading();
      clock.mockReturnValueOnce(30);
      times.answered('ok');
      times.answered('error'); // same chunk: no reading
      times.reading();
      clock.mockReturnValueOnce(45);
      times.answered('ok');
      expect(clock).toHaveBeenCalledTimes(4);
      expect(replied.mock.calls).toEqual([
        [20, 'ok'],
        [20, 'error'],
        [25, 'ok'],
      ]);
      expect(stats.requests).toBe(19);
    } finally {
      clock.mockRestore();
    }
  });
});
