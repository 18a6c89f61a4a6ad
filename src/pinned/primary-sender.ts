import { ReplyScanner } from '../resp/reply-scanner.js';
import { READONLY } from '../topology/standalone.js';
import type { SpanHandler } from '../upstream/reply-waiters.js';
import type { Upstream } from '../upstream/upstream.js';

/** What a shared lane sends its requests through: a node's shared connection, or the sender below. */
export interface SpanSender {
  sendSpans(request: Buffer, replies: number, span: SpanHandler): void;
  /** The last connection could not be opened at all. */
  readonly unreachable: boolean;
}

/**
 * How long a write refused by a demoted primary keeps trying while the table finds the new one:
 * attempts, and the backoff between them, doubling from 50 ms to 1 s (about 6 s in all).
 */
const RETRY = { attempts: 10, firstDelayMs: 50, maxDelayMs: 1000 } as const;

/** One request of a batch: its bytes, and its reply once it has one. */
interface Pending {
  request: Buffer;
  reply: Buffer | null;
}

/**
 * A standalone primary's shared connection as its pinned clients' lanes see it. Each request goes
 * on its own, so that one refused with `-READONLY` (the primary was demoted: the write did not
 * run) can go again once the table points the primary's entry at the new primary. The requests
 * after it go again too, in order, and their first replies are dropped: a read answered by the
 * demoted node must not overtake the write before it. Replies reach the lane in request order. It
 * costs whole-frame replies instead of streamed spans; only a standalone primary's port pays it.
 */
export class PrimarySender implements SpanSender {
  private last: Upstream | null = null;

  constructor(
    /** The primary's shared connection now (after a promotion, the new primary's). */
    private readonly upstream: () => Upstream,
    /** The primary may have moved (it answered READONLY, or its connection broke): re-read the topology. */
    private readonly mayHaveMoved: (why: string) => void,
  ) {}

  get unreachable(): boolean {
    return this.last?.unreachable ?? false;
  }

  sendSpans(request: Buffer, replies: number, span: SpanHandler): void {
    const batch: Pending[] = splitRequests(request, replies).map((r) => ({ request: r, reply: null }));
    let delivered = 0;
    let failed = false;
    let attempt = 0;
    /** Replies to requests sent before the last resend are not theirs to deliver. */
    let generation = 0;
    const send = (p: Pending, gen: number): void => {
      const upstream = (this.last = this.upstream());
      upstream.send(p.request, (frame, failure) => {
        if (failed || gen !== generation) return;
        if (!frame) {
          this.mayHaveMoved(`the connection to the primary broke`);
          failed = true;
          return span(null, batch.length - delivered, failure);
        }
        if (frame.subarray(0, READONLY.length).equals(READONLY) && attempt < RETRY.attempts) {
          this.mayHaveMoved('the primary answered READONLY');
          const from = batch.indexOf(p);
          const again = ++generation;
          const wait = Math.min(RETRY.firstDelayMs * 2 ** attempt++, RETRY.maxDelayMs);
          return void setTimeout(() => {
            for (const q of batch.slice(from)) send(q, again);
          }, wait);
        }
        p.reply = frame;
        while (delivered < batch.length && batch[delivered].reply) span(batch[delivered++].reply, 1);
      });
    };
    for (const p of batch) send(p, generation);
  }
}

/** The `count` whole requests (multibulk frames, back to back) in `bytes`, as views of it. */
function splitRequests(bytes: Buffer, count: number): Buffer[] {
  if (count === 1) return [bytes];
  const scanner = new ReplyScanner();
  const out: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = scanner.next(bytes, start);
    if (end < 0) throw new Error('a shared request batch ended inside a request');
    out.push(bytes.subarray(start, end));
    start = end;
  }
  return out;
}
