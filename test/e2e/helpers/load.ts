/** A bounded write load for the live-change tests: every loop stops on a count and a deadline. */
import { sleep } from '../../../scripts/lib/cluster.js';

export interface LoadResult {
  acked: string[];
  errors: Array<{ at: number; key: string; message: string }>;
  /** When each acknowledged write was sent and acknowledged (ms since epoch). */
  timing: Map<string, { sent: number; acked: number }>;
}

/** Writes `prefix:i` with `workers` concurrent loops, until `stop()`, `maxOps` or `maxMs`. */
export function writeLoad(
  client: { set(key: string, value: string): Promise<unknown> },
  prefix: string,
  workers: number,
  maxOps: number,
  maxMs: number,
): { stop: () => void; done: Promise<LoadResult> } {
  const result: LoadResult = { acked: [], errors: [], timing: new Map() };
  let next = 0;
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const worker = async (): Promise<void> => {
    while (!stopped && next < maxOps && Date.now() < deadline) {
      const key = `${prefix}:${next++}`;
      const sent = Date.now();
      try {
        await client.set(key, key);
        result.acked.push(key);
        result.timing.set(key, { sent, acked: Date.now() });
      } catch (e) {
        result.errors.push({ at: Date.now(), key, message: (e as Error).message });
        await sleep(20);
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker)).then(() => result);
  return { stop: () => void (stopped = true), done };
}
