/**
 * The keys a node is asked for most, over about the last minute, estimated cheaply: one request
 * in SAMPLE_EVERY is counted, in a count-min sketch (a few rows of counters, hashed), and the
 * keys with the highest estimates are kept in a small list. Two windows of half a minute each:
 * estimates are the current window's plus the last one's.
 */
export const SAMPLE_EVERY = 8;
const WIDTH = 2048;
const DEPTH = 4;
const TOP = 10;
const WINDOW_MS = 30_000;

export interface HotKey {
  key: string;
  /** Estimated requests over the window (sampled counts times SAMPLE_EVERY). */
  requests: number;
}

/** FNV-1a over the key, seeded per row. */
function hash(key: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % WIDTH;
}

export class HotKeys {
  private current = new Uint32Array(WIDTH * DEPTH);
  private previous = new Uint32Array(WIDTH * DEPTH);
  private top = new Map<string, number>();
  /** When the current window began (at the first request counted). */
  private windowStart: number | null = null;

  /** Counts one sampled request for `key`. */
  add(key: string, now = Date.now()): void {
    this.windowStart ??= now;
    if (now - this.windowStart >= WINDOW_MS) this.rotate(now);
    let estimate = Infinity;
    for (let d = 0; d < DEPTH; d++) {
      const i = d * WIDTH + hash(key, d);
      this.current[i]++;
      estimate = Math.min(estimate, this.current[i] + this.previous[i]);
    }
    this.top.set(key, estimate);
    if (this.top.size > TOP * 2) {
      // Keep the highest TOP: the list stays small whatever the key space.
      const kept = [...this.top].sort((a, b) => b[1] - a[1]).slice(0, TOP);
      this.top = new Map(kept);
    }
  }

  /** The hottest keys, most requested first. */
  list(now = Date.now()): HotKey[] {
    if (this.windowStart !== null && now - this.windowStart >= 2 * WINDOW_MS) this.rotate(now);
    return [...this.top]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([key, n]) => ({ key, requests: n * SAMPLE_EVERY }));
  }

  private rotate(now: number): void {
    const stale = now - (this.windowStart ?? now) >= 2 * WINDOW_MS;
    this.previous = stale ? new Uint32Array(WIDTH * DEPTH) : this.current;
    this.current = new Uint32Array(WIDTH * DEPTH);
    this.windowStart = now;
    // Estimates from here on count the new windows; the listed keys keep theirs until seen again.
    if (stale) this.top.clear();
  }
}
