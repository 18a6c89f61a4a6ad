/**
 * The keys a node is asked for most, over about the last minute, estimated cheaply: one request
 * in SAMPLE_EVERY is counted, in a count-min sketch (a few rows of counters, hashed), and the
 * keys with the highest estimates are kept in a small list. Two windows of half a minute each:
 * estimates are the current window's plus the last one's.
 */
export const SAMPLE_EVERY = 8;
const WIDTH = 2048;
const DEPTH = 4;
/** Keys listed per node. */
export const TOP_KEYS = 10;
const WINDOW_MS = 30_000;

export interface HotKey {
  key: string;
  /** Estimated requests over the window (sampled counts times SAMPLE_EVERY). */
  requests: number;
}

/** FNV-1a over the key's bytes. */
function fnv(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return h >>> 0;
}

export class HotKeys {
  private current = new Uint32Array(WIDTH * DEPTH);
  private previous = new Uint32Array(WIDTH * DEPTH);
  /** The candidates: at most 2 x TOP_KEYS keys with their estimates. */
  private top = new Map<string, number>();
  /** The first hash of each key in `top`, to pass over other keys without making their string. */
  private topHashes = new Set<number>();
  /**
   * The lowest estimate kept when the list was last cut to TOP_KEYS: a key not listed whose estimate is
   * no higher cannot enter it, so it is passed over without a string or a sort (most keys, when
   * the key space is wide).
   */
  private floor = 0;
  /** When the current window began (at the first request counted). */
  private windowStart: number | null = null;

  /** Counts one sampled request for `key`. */
  add(key: Uint8Array, now = Date.now()): void {
    this.windowStart ??= now;
    if (now - this.windowStart >= WINDOW_MS) this.rotate(now);
    // Rows' positions from two hashes (h1 + d * h2): one pass over the key serves every row.
    const h1 = fnv(key);
    const h2 = (Math.imul(h1 ^ (h1 >>> 16), 0x45d9f3b) >>> 0) | 1;
    let estimate = Infinity;
    for (let d = 0; d < DEPTH; d++) {
      const i = d * WIDTH + (((h1 + d * h2) >>> 0) % WIDTH);
      this.current[i]++;
      estimate = Math.min(estimate, this.current[i] + this.previous[i]);
    }
    if (estimate <= this.floor && !this.topHashes.has(h1)) return;
    const name = Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
    if (estimate <= this.floor && !this.top.has(name)) return;
    this.top.set(name, estimate);
    this.topHashes.add(h1);
    if (this.top.size > TOP_KEYS * 2) this.cut();
  }

  /** Keeps the highest TOP_KEYS: the list stays small whatever the key space. */
  private cut(): void {
    const kept = [...this.top].sort((a, b) => b[1] - a[1]).slice(0, TOP_KEYS);
    this.top = new Map(kept);
    this.topHashes = new Set(kept.map(([k]) => fnv(Buffer.from(k, 'latin1'))));
    this.floor = kept[kept.length - 1][1];
  }

  /** The hottest keys, most requested first. */
  list(now = Date.now()): HotKey[] {
    if (this.windowStart !== null && now - this.windowStart >= 2 * WINDOW_MS) this.rotate(now);
    return [...this.top]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_KEYS)
      .map(([key, n]) => ({ key, requests: n * SAMPLE_EVERY }));
  }

  private rotate(now: number): void {
    const stale = now - (this.windowStart ?? now) >= 2 * WINDOW_MS;
    this.previous = stale ? new Uint32Array(WIDTH * DEPTH) : this.current;
    this.current = new Uint32Array(WIDTH * DEPTH);
    this.windowStart = now;
    // Estimates from here on count the new windows: a new key may enter at any count again.
    this.floor = 0;
    if (stale) {
      this.top.clear();
      this.topHashes.clear();
    }
  }
}
