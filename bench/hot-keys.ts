/**
 * What sampling hot keys costs per request, measured in this process on the tunnel's own HotKeys
 * with redis-benchmark's key shape (`key:` and 12 digits, 100,000 of them at random): the smart
 * row's tunnel CPU per request, measured in the same run, gives the share.
 */
import { HotKeys, SAMPLE_EVERY } from '../src/net/hot-keys.js';

/** Nanoseconds one sampled key costs (the median of 5 timed passes, after a warm-up). */
export function sampledKeyNs(keys = 200_000, passes = 5): number {
  const pool = Array.from({ length: keys }, () =>
    Buffer.from(`key:${String(Math.floor(Math.random() * 100_000)).padStart(12, '0')}`),
  );
  const hot = new HotKeys();
  const now = Date.now();
  for (const k of pool) hot.add(k, now);
  const times: number[] = [];
  for (let p = 0; p < passes; p++) {
    const t0 = process.hrtime.bigint();
    for (const k of pool) hot.add(k, now);
    times.push(Number(process.hrtime.bigint() - t0) / pool.length);
  }
  return times.sort((a, b) => a - b)[Math.floor(passes / 2)];
}

/** One bench line: the sampling cost per request and its share of the tunnel's CPU per request. */
export function samplingCostRow(pipeline: number, tunnelCpuUs: number): string {
  const perSample = sampledKeyNs();
  const perRequest = perSample / SAMPLE_EVERY;
  const share = (perRequest / (tunnelCpuUs * 1000)) * 100;
  return `-P ${String(pipeline).padEnd(3)} hot-key sampling: ${perSample.toFixed(0)} ns per sampled key, 1 in ${SAMPLE_EVERY} -> ${perRequest.toFixed(1)} ns per request = ${share.toFixed(2)} % of the smart tunnel's ${tunnelCpuUs.toFixed(2)} us CPU per request (target <= 3 %)`;
}
