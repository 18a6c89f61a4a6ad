/**
 * Requests whose bytes are copied into the turn's write only when it is made (smart mode's runs):
 * they lie scattered in a client's read, and a buffer of their own per run cost more than the copy.
 */
export interface CopiedRequests {
  readonly byteLength: number;
  /** Copies the requests into `out` at `at` (where they are read again, should one be sent again). */
  copyTo(out: Buffer, at: number): void;
}

/**
 * A connection's requests of one turn of the event loop, written as one: one TLS record and one
 * syscall for every request of the turn, not one per request. Even a request that finds the
 * connection idle waits for the turn's end, as many clients' reads come in one turn. Written at
 * once, each of those clients' requests was a write of its own and a read of its own on the node;
 * a lone client gains nothing by it, as the turn ends within microseconds (bench/README.md has the
 * figures).
 *
 * A turn that gathered requests of two or more clients (or runs) waits one turn more: other
 * clients are sending too, and their requests join the same write. Smart mode splits each
 * client's pipeline over every master, so its writes carry a few requests each; waiting one turn
 * cut the tunnel's CPU per request at `-P 16` by about 7 % in smart mode and 8 % in pinned mode.
 * A lone request still goes at the turn's end, so a client on its own waits no longer.
 */
export class TurnWrites {
  private pending: Array<Buffer | CopiedRequests> = [];
  private bytes = 0;
  private queued = false;
  private waitedOnce = false;

  constructor(private readonly write: (out: Buffer) => void) {}

  /**
   * Adds a request. `open`: the connection can take it, so it goes at the turn's end; otherwise it
   * waits for `flush` (the connection calls it once open).
   */
  add(request: Buffer | CopiedRequests, open: boolean): void {
    this.pending.push(request);
    this.bytes += request.byteLength;
    if (open && !this.queued) {
      this.queued = true;
      setImmediate(this.turnEnd);
    }
  }

  /** The turn's end: a lone request goes now; those of several clients wait one turn more. */
  private readonly turnEnd = (): void => {
    if (!this.waitedOnce && this.pending.length > 1) {
      this.waitedOnce = true;
      setImmediate(this.turnEnd);
      return;
    }
    this.flush();
  };

  /** Writes what was added, as one buffer. */
  readonly flush = (): void => {
    this.queued = false;
    this.waitedOnce = false;
    const pending = this.pending;
    if (pending.length === 0) return;
    const bytes = this.bytes;
    this.pending = [];
    this.bytes = 0;
    const only = pending[0];
    if (pending.length === 1 && Buffer.isBuffer(only)) return this.write(only);
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const p of pending) {
      if (Buffer.isBuffer(p)) out.set(p, at);
      else p.copyTo(out, at);
      at += p.byteLength;
    }
    this.write(out);
  };
}
