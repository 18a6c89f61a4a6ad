import { describe, expect, it } from 'vitest';
import { median, pairedRatios, roundRatios } from '../../bench/measure.js';

describe('bench ratios', () => {
  it('median takes the middle run (the upper one of an even count)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
  });

  it('compares each round with the baseline runs just before and after it', () => {
    // The baseline drifts from 100 to 200 over four runs; the path keeps 0.9x of it each round.
    const base = [100, 140, 180, 200];
    const xs = [0.9 * 120, 0.9 * 160, 0.9 * 190];
    expect(pairedRatios(xs, base)).toBe('0.90x (0.90-0.90)');
    // The ratio of the medians says otherwise: each path run came later than its round's baseline
    // run, on a faster machine: 0.9 * 160 / 140.
    expect(median(xs) / median(base.slice(0, 3))).toBeCloseTo(144 / 140, 10);
  });

  it('gives the median round and the lowest and highest', () => {
    expect(pairedRatios([90, 120, 60], [100, 100, 100, 100])).toBe('0.90x (0.60-1.20)');
  });

  it('compares each round with the baseline run of the same round', () => {
    expect(roundRatios([110, 150, 300], [100, 200, 200])).toBe('1.10x (0.75-1.50)');
  });
});
