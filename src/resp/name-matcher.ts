/**
 * Recognises a fixed set of command names in request bytes, case-insensitively, without making a
 * string: candidates are found by length and first letter, so a name costs a look-up and a few
 * byte compares even when the set holds every command the server shares (see CommandPolicy).
 * A match returns the set's own lower-case string (a constant, no allocation).
 */
export class NameMatcher {
  /** Matchers by their name list: every connection's parser shares one (they never change). */
  private static readonly made = new Map<string, NameMatcher>();
  /** The same, by the list itself: a parser made per client with one long list skips the join. */
  private static readonly byList = new WeakMap<readonly string[], NameMatcher>();

  /** The matcher for `names`, made once per distinct list. */
  static of(names: readonly string[]): NameMatcher {
    const same = NameMatcher.byList.get(names);
    if (same) return same;
    const key = names.join(' ');
    let m = NameMatcher.made.get(key);
    if (!m) NameMatcher.made.set(key, (m = new NameMatcher(names)));
    NameMatcher.byList.set(names, m);
    return m;
  }

  /** Candidates by `bucket(length, first byte)`. */
  private readonly buckets = new Map<number, Array<{ bytes: Uint8Array; name: string }>>();
  private readonly names: Set<string>;

  constructor(names: readonly string[]) {
    this.names = new Set(names.map((n) => n.toLowerCase()));
    for (const name of this.names) {
      if (!/^[a-z][a-z_-]*$/.test(name)) throw new Error(`command names are letters, _ and - only: ${name}`);
      const key = bucket(name.length, name.charCodeAt(0));
      let list = this.buckets.get(key);
      if (!list) this.buckets.set(key, (list = []));
      list.push({ bytes: Buffer.from(name, 'latin1'), name });
    }
  }

  /** The known name spelled by `buf[start, start + length)`, or null. */
  match(buf: Uint8Array, start: number, length: number): string | null {
    if (length === 0) return null;
    const candidates = this.buckets.get(bucket(length, buf[start] | 0x20));
    if (!candidates) return null;
    outer: for (const c of candidates) {
      for (let i = 1; i < length; i++) {
        const want = c.bytes[i];
        // `| 0x20` lower-cases ASCII letters; `_` and `-` must match exactly.
        const got = want === 0x5f || want === 0x2d ? buf[start + i] : buf[start + i] | 0x20;
        if (got !== want) continue outer;
      }
      return c.name;
    }
    return null;
  }

  matchString(s: string): string | null {
    const lower = s.toLowerCase();
    if (!this.names.has(lower)) return null;
    return (
      this.buckets.get(bucket(lower.length, lower.charCodeAt(0)))?.find((c) => c.name === lower)?.name ?? null
    );
  }
}

/** One number per (length, lower-case first byte): names are short, so this never collides. */
function bucket(length: number, first: number): number {
  return length * 256 + first;
}
