/**
 * Where the frames that end in one span of reply bytes end, as offsets in that span, and whether
 * each holds a nested push: one scan's findings handed to the span's reader, so that it need not
 * scan the same bytes again (pinned mode's shared replies: the connection scans them to count
 * replies, the client's reply pipeline reads the boundaries). The first end may close a frame
 * begun in an earlier span; bytes after the last end begin a frame that goes on in the next.
 *
 * One instance is reused for every span its scanner hands out: it is valid only during the call
 * that receives it.
 */
export class FrameEnds {
  count = 0;
  ends = new Int32Array(64);
  nested = new Uint8Array(64);

  add(end: number, nestedPush: boolean): void {
    if (this.count === this.ends.length) {
      const ends = new Int32Array(this.count * 2);
      ends.set(this.ends);
      this.ends = ends;
      const nested = new Uint8Array(this.count * 2);
      nested.set(this.nested);
      this.nested = nested;
    }
    this.ends[this.count] = end;
    this.nested[this.count++] = nestedPush ? 1 : 0;
  }

  /**
   * The ends after `from`, as offsets from it, in a new instance that outlives the call (a reader
   * that keeps the rest of a span keeps these with it).
   */
  after(from: number): FrameEnds {
    const c = new FrameEnds();
    for (let i = 0; i < this.count; i++)
      if (this.ends[i] > from) c.add(this.ends[i] - from, this.nested[i] === 1);
    return c;
  }
}
