/** Finds where frames end in a byte stream: ReplyScanner and RequestParser both do. */
export interface Boundaries {
  /** Offset just past the frame that ends in `chunk` at or after `pos`, or -1 when it goes on. */
  next(chunk: Buffer, pos: number): number;
}

/**
 * Cuts a stream into whole frames with a boundary finder: frames within a chunk are views of it,
 * a frame that spans chunks is joined once, when it is complete. Every client's requests are read
 * with one (pinned mode's shared lane, smart mode's client, the local-password gate), and every
 * reply stream a whole-frame reader follows.
 */
export class FrameSplitter {
  private held: Buffer[] = [];
  private heldLength = 0;

  constructor(
    private readonly bounds: Boundaries,
    /** True while the finder is inside a frame begun in an earlier chunk. */
    private readonly inFrame: () => boolean,
    /**
     * Whether chunks are lent (see SocketReads: valid only during the push), so the start of a
     * frame that goes on past one is copied, not kept as a view.
     */
    private readonly lent = false,
  ) {}

  /** The bytes of a frame begun in earlier chunks and not ended yet. */
  get partialBytes(): number {
    return this.heldLength;
  }

  /** The start of the unfinished frame (copies, when chunks are lent); the splitter forgets it. */
  takePartial(): Buffer[] {
    const held = this.held;
    this.held = [];
    this.heldLength = 0;
    return held;
  }

  /**
   * Hands every complete frame to `onFrame` (with the offset in `chunk` just past it), which may
   * return false to stop reading. Throws ProtocolError.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer, end: number) => boolean | void): void {
    this.pushInPlace(chunk, (buf, start, end, next) => onFrame(buf.subarray(start, end), next));
  }

  /**
   * As `push`, with each frame as `buf[start, end)`, read in place: `buf` is the chunk, or the
   * frame joined from several chunks (then `buf` is not `chunk`, and is not lent). `next` is the
   * offset in `chunk` just past the frame.
   */
  pushInPlace(
    chunk: Buffer,
    onFrame: (buf: Buffer, start: number, end: number, next: number) => boolean | void,
  ): void {
    let pos = 0;
    while (pos < chunk.length) {
      const start = this.inFrame() ? 0 : pos;
      const end = this.bounds.next(chunk, pos);
      if (end < 0) {
        const rest = start === 0 && pos === 0 ? chunk : chunk.subarray(start);
        this.held.push(this.lent ? Buffer.from(rest) : rest);
        this.heldLength += rest.length;
        return;
      }
      pos = end;
      if (this.held.length === 0) {
        if (onFrame(chunk, start, end, end) === false) return;
        continue;
      }
      const frame = Buffer.concat([...this.takePartial(), chunk.subarray(0, end)]);
      if (onFrame(frame, 0, frame.length, end) === false) return;
    }
  }
}
