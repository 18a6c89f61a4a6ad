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
    let pos = 0;
    while (pos < chunk.length) {
      const start = this.inFrame() ? 0 : pos;
      const end = this.bounds.next(chunk, pos);
      if (end < 0) {
        this.held.push(start === 0 && pos === 0 ? chunk : chunk.subarray(start));
        return;
      }
      const frame = this.held.length
        ? Buffer.concat([...this.held, chunk.subarray(0, end)])
        : chunk.subarray(start, end);
      this.held = [];
      pos = end;
      if (onFrame(frame, end) === false) return;
    }
  }
}
