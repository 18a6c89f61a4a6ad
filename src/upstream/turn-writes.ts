/**
 * A connection's requests of one turn of the event loop, written as one: one TLS record and one
 * syscall for every request of the turn, not one per request. Even a request that finds the
 * connection idle waits for the turn's end, as many clients' reads come in one turn. Written at
 * once, each of those clients' requests was a write of its own and a read of its own on the node;
 * a lone client gains nothing by it, as the turn ends within microseconds (bench/README.md has the
 * figures).
 */
export class TurnWrites {
  private pending: Buffer[] = [];
  private queued = false;

  constructor(private readonly write: (out: Buffer) => void) {}

  /**
   * Adds a request. `open`: the connection can take it, so it goes at the turn's end; otherwise it
   * waits for `flush` (the connection calls it once open).
   */
  add(request: Buffer, open: boolean): void {
    this.pending.push(request);
    if (open && !this.queued) {
      this.queued = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what was added, as one buffer. */
  readonly flush = (): void => {
    this.queued = false;
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    this.write(pending.length === 1 ? pending[0] : Buffer.concat(pending));
  };
}
