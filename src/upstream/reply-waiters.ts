/** Who waits for replies on a connection to a node: whole frames, or spans of bytes. */
import type { FrameEnds } from '../resp/frame-ends.js';

/**
 * Called with one complete reply frame, or with the reason the node could not answer. `gone`, when
 * given and true by the time the reply starts, says nobody will read it: its bytes are skipped as
 * they come instead of being joined into one frame (a client that left must not make the tunnel
 * hold the large replies it asked for), and the handler gets GONE_REPLY.
 */
export type ReplyHandler = ((frame: Buffer | null, failure?: string) => void) & { gone?: () => boolean };

/** What a handler whose requester is gone gets instead of its reply (see ReplyHandler). */
export const GONE_REPLY = Buffer.from('-ERR redis-cluster-tunnel: the client is gone\r\n');

/**
 * Called with the reply bytes of a run of requests as they arrive, in order (`frames`: how many
 * replies ended in them; the last may go on in the next call), or with null and the reason the
 * node could not answer the `frames` still due. Spans are views of the connection's reads. `ends`,
 * when given, says where the frames end in the span (attributes included), as the connection's scan
 * found them, so the reader need not scan again; it is lent for the call (see FrameEnds).
 */
export type SpanHandler = (span: Buffer | null, frames: number, failure?: string, ends?: FrameEnds) => void;

/** A run of requests whose replies go to one SpanHandler. */
export interface SpanWaiter {
  span: SpanHandler;
  left: number;
}

/**
 * A run of requests whose replies, whole frames, go to one object in order (smart mode's runs of
 * single-node requests): one waiter and one latency sample for the run, not one per request.
 */
export interface FrameRun {
  /** Replies still due; the connection counts them down. */
  left: number;
  /**
   * The next reply: `buf[start, end)`, read in place (no view made per reply). `buf` is the
   * connection's read, not lent: a run may keep it.
   */
  frameAt(buf: Buffer, start: number, end: number): void;
  /** The connection failed: the `left` replies still due will not come. */
  failed(reason: string): void;
  /** As ReplyHandler's: true once nobody will read the replies, which are then skipped as they come. */
  gone?: () => boolean;
}

export type Waiter = ReplyHandler | SpanWaiter | FrameRun;

/** A span waiter that takes the replies still due to `run`, whose requester is gone, and drops their bytes. */
export function skippingRun(run: FrameRun): SpanWaiter {
  return {
    span: (span, frames, failure) => {
      if (span === null) return run.failed(failure ?? 'closed');
      for (let i = 0; i < frames; i++) run.frameAt(GONE_REPLY, 0, GONE_REPLY.length);
    },
    left: run.left,
  };
}

/** Whether a waiter takes its replies as spans of bytes (the rest take whole frames). */
export function isSpanWaiter(w: Waiter): w is SpanWaiter {
  return typeof w !== 'function' && 'span' in w;
}

/** A span waiter that takes the reply due to `handler`, whose requester is gone, and drops its bytes. */
export function skipping(handler: ReplyHandler): SpanWaiter {
  return {
    span: (span, frames, failure) => {
      if (span === null) handler(null, failure);
      else if (frames > 0) handler(GONE_REPLY);
    },
    left: 1,
  };
}
