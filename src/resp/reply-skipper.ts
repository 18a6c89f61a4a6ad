import { ReplyScanner } from './reply-scanner.js';

/**
 * Drops the first replies of a stream: those of requests the tunnel sent on a client's connection
 * of its own accord, ahead of the client's (see PinnedClient's labels).
 */
export class ReplySkipper {
  private readonly scanner = new ReplyScanner();

  constructor(private left: number) {}

  get done(): boolean {
    return this.left === 0;
  }

  /** What of `chunk` follows the replies still to drop (empty while they last). */
  push(chunk: Buffer): Buffer {
    let pos = 0;
    while (this.left > 0) {
      const end = this.scanner.next(chunk, pos);
      if (end < 0) return chunk.subarray(chunk.length);
      this.left--;
      pos = end;
    }
    return chunk.subarray(pos);
  }
}
