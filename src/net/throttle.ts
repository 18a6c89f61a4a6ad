/** Says yes to a key at most once per interval: for warnings that every client retry would repeat. */
export class Throttle {
  private readonly last = new Map<string, number>();

  constructor(readonly intervalMs: number) {}

  allow(key: string, now = Date.now()): boolean {
    if (now - (this.last.get(key) ?? -Infinity) < this.intervalMs) return false;
    this.last.set(key, now);
    return true;
  }
}
