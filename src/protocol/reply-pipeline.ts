import { applyEdits } from '../resp/encode.js';
import { DEFAULT_MAX_FRAME_BYTES, ProtocolError } from '../resp/errors.js';
import type { FrameEnds } from '../resp/frame-ends.js';
import { ReplyScanner, type ScannerLimits } from '../resp/reply-scanner.js';
import { T_ERROR } from '../resp/types.js';
import { arrayElementStarts, rewriteElement } from '../rewrite/index.js';
import { newOutcome } from '../rewrite/outcome.js';
import { mayBeRedirect, rewriteRedirect } from '../rewrite/redirect.js';
import type { AddressBook, NodeRef } from '../topology/types.js';
import type { SessionSink } from './sink.js';
import { Mode, type ReplyAction } from './reply-action.js';
import type { ReplyTracker } from './tracker.js';

export interface ReplyPipelineOptions {
  tracker: ReplyTracker;
  /**
   * Where nodes are served. When a reply names a node it does not know and `ensure` exists, the
   * pipeline holds that reply (and everything after it) until `ensure` settles, then rewrites it
   * again: the tunnel can bind a listener for the node first, so a client following the rewritten
   * reply never finds a closed port.
   */
  addresses: AddressBook;
  sink: SessionSink;
  limits?: ScannerLimits;
}

interface Blocked {
  type: number;
  frame: Buffer;
  action: ReplyAction;
  rest: Buffer;
  restEnds: FrameEnds | undefined;
}

/** Server bytes kept while a reply is blocked, with where their frames end when that is known. */
interface Waiting {
  chunk: Buffer;
  ends: FrameEnds | undefined;
}

type RewriteResult = Buffer | null | { wait: Promise<void> };

const EMPTY = Buffer.alloc(0);

/**
 * Server → client. Frames that need no inspection stream through as the original bytes (one write
 * per chunk when nothing changes); frames that may change are held until complete, then rewritten
 * or released as they were. Replies to the tunnel's own requests are dropped here.
 */
export class ReplyPipeline {
  private readonly o: ReplyPipelineOptions;
  private readonly scanner: ReplyScanner;
  private type = 0;
  private inspect = false;
  /** Bytes of an inspected frame that began in an earlier chunk. */
  private held: Buffer[] = [];
  private blocked: Blocked | null = null;
  private readonly waiting: Waiting[] = [];
  /** Inside a frame whose end the next FrameEnds gives (see push). */
  private spanInFrame = false;
  /** That frame's bytes so far: the frame cap the scanner would check. */
  private spanFrameBytes = 0;
  private readonly maxFrameBytes: number;

  constructor(options: ReplyPipelineOptions) {
    this.o = options;
    this.scanner = new ReplyScanner(options.limits);
    this.maxFrameBytes = options.limits?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /**
   * Feeds server bytes. With `ends` (where the frames end, from the connection's own scan: pinned
   * mode's shared replies), the bytes are not scanned again. Returns false when the caller should
   * pause input until `sink.resume`.
   */
  push(chunk: Buffer, ends?: FrameEnds): boolean {
    if (this.blocked) {
      // Lent (see SessionSink), and so are the ends: kept, so copied.
      this.waiting.push({ chunk: Buffer.from(chunk), ends: ends?.after(0) });
      return false;
    }
    return this.process(chunk, ends);
  }

  private process(chunk: Buffer, ends?: FrameEnds): boolean {
    const { tracker, sink } = this.o;
    const len = chunk.length;
    let pos = 0;
    let runStart = 0;
    let k = 0;
    while (pos < len) {
      let frameStart = 0;
      if (!this.scanner.inFrame && !this.spanInFrame) {
        this.spanFrameBytes = 0;
        if (tracker.mode === Mode.Raw) break;
        frameStart = pos;
        this.type = chunk[pos];
        this.inspect = tracker.startFrame(this.type);
        // startFrame switches to Raw when this frame begins a SYNC payload.
        if ((tracker.mode as Mode) === Mode.Raw) break;
      }
      let end: number;
      let nestedPush: boolean;
      if (ends) {
        end = k < ends.count ? ends.ends[k] : -1;
        nestedPush = k < ends.count && ends.nested[k++] === 1;
        this.spanInFrame = end < 0;
        this.spanFrameBytes += (end < 0 ? len : end) - pos;
        if (this.spanFrameBytes > this.maxFrameBytes)
          throw new ProtocolError('ERR_FRAME_TOO_LARGE', `frame exceeds ${this.maxFrameBytes} bytes`);
      } else {
        end = this.scanner.next(chunk, pos);
        nestedPush = this.scanner.nestedPush;
      }
      if (end < 0) {
        if (this.inspect) {
          if (frameStart > runStart) sink.toClient(chunk.subarray(runStart, frameStart));
          this.held.push(Buffer.from(frameStart === 0 ? chunk : chunk.subarray(frameStart)));
          runStart = len;
        }
        pos = len;
        break;
      }
      if (!this.inspect) {
        tracker.onFrame(this.type, null, 0, 0, nestedPush);
        pos = end;
        continue;
      }
      const spanned = this.held.length > 0;
      const buf = spanned ? Buffer.concat([...this.held, chunk.subarray(0, end)]) : chunk;
      const fs = spanned ? 0 : frameStart;
      const fe = spanned ? buf.length : end;
      const action = tracker.onFrame(this.type, buf, fs, fe, nestedPush);
      // Most inspected frames (+OK, +QUEUED, plain errors) change nothing: no view is made for them.
      const candidate = action !== null || (this.type === T_ERROR && mayBeRedirect(buf, fs, fe));
      const frame = candidate ? (spanned ? buf : buf.subarray(fs, fe)) : buf;
      const result = candidate ? this.replacement(this.type, frame, action, true) : null;
      if (result !== null && !Buffer.isBuffer(result)) {
        if (frameStart > runStart) sink.toClient(chunk.subarray(runStart, frameStart));
        this.held = [];
        // Kept past this call: copies, not views of the lent chunk.
        const kept = spanned ? frame : Buffer.from(frame);
        this.blocked = {
          type: this.type,
          frame: kept,
          action,
          rest: Buffer.from(chunk.subarray(end)),
          restEnds: ends?.after(end),
        };
        result.wait.then(
          () => this.resume(),
          () => this.resume(),
        );
        return false;
      }
      if (result !== null) {
        if (frameStart > runStart) sink.toClient(chunk.subarray(runStart, frameStart));
        if (result.length > 0) sink.toClient(result);
        runStart = end;
      } else if (spanned) {
        // Unchanged: earlier parts go out as they came; this chunk's part joins the run.
        for (const part of this.held) sink.toClient(part);
      }
      if (spanned) this.held = [];
      pos = end;
    }
    if (len > runStart) sink.toClient(runStart === 0 ? chunk : chunk.subarray(runStart));
    return true;
  }

  /**
   * What replaces an inspected frame: nothing for the reply to a request of the tunnel's own, the
   * rewritten bytes, null to keep it, or a wait while unknown nodes are being served.
   */
  private replacement(type: number, frame: Buffer, action: ReplyAction, mayWait: boolean): RewriteResult {
    if (action && 'internal' in action) {
      this.o.sink.notice({
        kind: 'internal-reply',
        ok: action.internal,
        reply: frame.toString('latin1', 0, 200).trim(),
      });
      return EMPTY;
    }
    const { addresses } = this.o;
    let missing: NodeRef[] = [];
    let out: Buffer | null = null;
    if (type === T_ERROR) {
      out = rewriteRedirect(frame, addresses.lookup, missing);
    } else if (action) {
      const outcome = newOutcome();
      if ('topology' in action) {
        rewriteElement(action.topology, frame, 0, addresses, outcome);
      } else {
        const starts = arrayElementStarts(frame, 0, action.exec.length);
        if (!starts) this.o.tracker.failSafe('EXEC reply does not match the queued commands');
        else
          action.exec.forEach(
            (kind, i) => kind && rewriteElement(kind, frame, starts[i], addresses, outcome),
          );
      }
      missing = outcome.missing;
      if (outcome.edits.length > 0) out = applyEdits(frame, outcome.edits);
    }
    if (missing.length > 0) {
      const wait = mayWait ? addresses.ensure?.(missing) : undefined;
      if (wait) return { wait };
      this.o.sink.notice({ kind: 'unmapped', missing });
    }
    if (out) this.o.sink.notice({ kind: 'rewritten' });
    return out;
  }

  private resume(): void {
    const b = this.blocked as Blocked;
    try {
      const out = this.replacement(b.type, b.frame, b.action, false) as Buffer | null;
      this.o.sink.toClient(out ?? b.frame);
      this.blocked = null;
      let flowing = b.rest.length > 0 ? this.process(b.rest, b.restEnds) : true;
      while (flowing && this.waiting.length > 0) {
        const next = this.waiting.shift() as Waiting;
        flowing = this.process(next.chunk, next.ends);
      }
      if (flowing) this.o.sink.resume();
    } catch (err) {
      this.blocked = null;
      this.o.sink.fail(err);
    }
  }
}
