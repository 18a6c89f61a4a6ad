import type { NodeStats } from '../net/node-stats.js';
import { replyKind } from '../net/node-stats.js';
import { FrameEnds } from '../resp/frame-ends.js';
import type { ReplyScanner } from '../resp/reply-scanner.js';
import { T_ATTRIBUTE, T_PUSH, isErrorType } from '../resp/types.js';
import type { SpanWaiter } from './reply-waiters.js';

/**
 * How a connection hands a span waiter its reply bytes as they arrive (pinned mode's shared lane:
 * a large reply is never held whole). It shares the connection's scanner, so a frame may begin in
 * one read and end in a later one, whichever way the connection reads it.
 */
export class SpanStream {
  /** The scanner is inside a push frame whose bytes are being dropped. */
  private inPush = false;
  /** Where the frames of the span being built end: handed with it, so it is scanned only here. */
  private readonly ends = new FrameEnds();

  constructor(
    private readonly scanner: ReplyScanner,
    private readonly stats: NodeStats,
    /** A push frame was cut out of the replies (nobody's reply on a shared connection). */
    private readonly pushDropped: () => void,
  ) {}

  /**
   * Hands the waiter the bytes of its replies at the start of `chunk`; returns how many bytes were
   * used. A push frame is nobody's reply: its bytes are cut out and not counted. An attribute
   * frame goes with the reply that follows it and is not counted either. `finished` is called
   * once the waiter's last reply has come, before its last span.
   */
  feed(waiter: SpanWaiter, chunk: Buffer, finished: () => void): number {
    const scanner = this.scanner;
    let from = 0;
    let end = 0;
    let frames = 0;
    const ends = this.ends;
    ends.count = 0;
    while (end < chunk.length && waiter.left > 0) {
      if (!scanner.inFrame && chunk[end] === T_PUSH) {
        // What came before the push is the waiter's; the push itself is dropped.
        if (end > from) waiter.span(chunk.subarray(from, end), frames, undefined, ends);
        frames = 0;
        ends.count = 0;
        this.inPush = true;
      }
      const at = scanner.inFrame ? -1 : end;
      const e = scanner.next(chunk, end);
      if (this.inPush) {
        if (e < 0) return chunk.length; // the push goes on in the next read
        this.inPush = false;
        this.pushDropped();
        from = end = e;
        continue;
      }
      if (e < 0) {
        end = chunk.length; // a reply that goes on in the next read
        break;
      }
      end = e;
      ends.add(e - from, scanner.nestedPush);
      if (scanner.frameType !== T_ATTRIBUTE) {
        waiter.left--;
        frames++;
        // Errors are counted where the reply's first bytes are at hand (all but a reply begun in
        // an earlier read).
        if (at >= 0 && isErrorType(chunk[at])) this.stats.count(replyKind(chunk, at));
      }
    }
    if (waiter.left === 0) finished();
    waiter.span(chunk.subarray(from, end), frames, undefined, ends);
    return end;
  }
}
