/**
 * Recognises a fixed set of command names in request bytes, case-insensitively, without making a
 * string: a name that is not in the set costs a length check and at most a few byte compares.
 * A match returns the set's own lower-case string (a constant, no allocation).
 */
export class NameMatcher {
  /** Matchers by their name list: every connection's parser shares one (they never change). */
  private static readonly made = new Map<string, NameMatcher>();

  /** The matcher for `names`, made once per distinct list. */
  static of(names: readonly string[]): NameMatcher {
    const key = names.join(' ');
    let m = NameMatcher.made.get(key);
    if (!m) NameMatcher.made.set(key, (m = new NameMatcher(names)));
    return m;
  }

  private readonly byLength: Array<Array<{ bytes: Uint8Array; name: string }>> = [];
  private readonly names: Set<string>;

  constructor(names: readonly string[]) {
    this.names = new Set(names.map((n) => n.toLowerCase()));
    for (const name of this.names) {
      if (!/^[a-z]+$/.test(name)) throw new Error(`command names are letters only: ${name}`);
      (this.byLength[name.length] ??= []).push({ bytes: Buffer.from(name, 'latin1'), name });
    }
  }

  /** The known name spelled by `buf[start, start + length)`, or null. */
  match(buf: Uint8Array, start: number, length: number): string | null {
    const candidates = this.byLength[length];
    if (!candidates) return null;
    outer: for (const c of candidates) {
      // `| 0x20` lower-cases ASCII letters; names hold letters only, so nothing else can match.
      for (let i = 0; i < length; i++) if ((buf[start + i] | 0x20) !== c.bytes[i]) continue outer;
      return c.name;
    }
    return null;
  }

  matchString(s: string): string | null {
    const lower = s.toLowerCase();
    return this.names.has(lower)
      ? (this.byLength[lower.length]?.find((c) => c.name === lower)?.name ?? null)
      : null;
  }
}
