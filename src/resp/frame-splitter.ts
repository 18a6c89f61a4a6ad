/** Finds where frames end in a byte stream: ReplyScanner and RequestParser both do. */
export interface Boundaries {
  /** Offset just past the frame that ends in `chunk` at or after `pos`, or -1 when it goes on. */
  next(chunk: Buffer, pos: number): number;
}

/**
 * Cuts a stream into whole frames with a boundary finder: frames within a chunk are views of it,
 * a frame that spans chunks is joined once, when it is complete.
 */
export class FrameSplitter {
  private held: Buffer[] = [];

  constructor(
    private readonly bounds: Boundaries,
    /** True while the finder is inside a frame begun in an earlier chunk. */
    private readonly inFrame: () => boolean,
  ) {}

  /**
   * Hands every complete frame to `onFrame` (with the offset in `chunk` just past it), which may
   * return false to stop reading. Throws ProtocolError.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer, end: number) => boolean | void): void {
    this.pushInPlace(chunk, (buf, start, end, next) => onFrame(buf.subarray(start, end), next));
  }

  /**
   * As `push`, with each frame as `buf[start, end)`, read in place: `buf` is the chunk, or the
   * frame joined from several chunks. `next` is the offset in `chunk` just past the frame.
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
        this.held.push(start === 0 && pos === 0 ? chunk : chunk.subarray(start));
        return;
      }
      pos = end;
      if (this.held.length === 0) {
        if (onFrame(chunk, start, end, end) === false) return;
        continue;
      }
      const frame = Buffer.concat([...this.held, chunk.subarray(0, end)]);
      this.held = [];
      if (onFrame(frame, 0, frame.length, end) === false) return;
    }
  }
}
