import { applyEdits } from '../resp/encode.js';
import { ReplyScanner, type ScannerLimits, T_ERROR } from '../resp/reply-scanner.js';
import { type AddressLookup, type NodeRef, newOutcome } from '../rewrite/address.js';
import { arrayElementStarts, rewriteElement } from '../rewrite/index.js';
import { mayBeRedirect, rewriteRedirect } from '../rewrite/redirect.js';
import { Mode, type ReplyAction, type ReplyTracker } from './tracker.js';

export interface ReplyPipelineOptions {
  tracker: ReplyTracker;
  lookup: AddressLookup;
  /** Where bytes for the client go, in order. */
  write: (buf: Buffer) => void;
  /**
   * Called with nodes a reply names that `lookup` does not know. If it returns a promise, the
   * pipeline holds that reply (and everything after it) until the promise settles, then rewrites
   * it again: the caller can bind a listener for the node first, so a client following the
   * rewritten reply never finds a closed port.
   */
  learn?: (missing: NodeRef[]) => Promise<void> | void;
  /** Nodes still unknown after learning: their addresses went out unchanged. */
  onUnmapped?: (missing: NodeRef[]) => void;
  /** Called when a held reply has been released and input may flow again. */
  onResume?: () => void;
  /** The reply to a request the tunnel sent itself (dropped from the client's stream). */
  onInternalReply?: (ok: boolean, reply: string) => void;
  /** Errors raised while resuming asynchronously (ProtocolError from later bytes). */
  onError?: (err: unknown) => void;
  limits?: ScannerLimits;
}

interface Blocked {
  type: number;
  frame: Buffer;
  action: ReplyAction;
  rest: Buffer;
}

type RewriteResult = Buffer | null | { wait: Promise<void> };

const EMPTY = Buffer.alloc(0);

/**
 * Server → client. Frames that need no inspection stream through as the original bytes (one write
 * per chunk when nothing changes); frames that may change are held until complete, then rewritten
 * or released as they were.
 */
export class ReplyPipeline {
  private readonly o: ReplyPipelineOptions;
  private readonly scanner: ReplyScanner;
  private type = 0;
  private inspect = false;
  /** Bytes of an inspected frame that began in an earlier chunk. */
  private held: Buffer[] = [];
  private blocked: Blocked | null = null;
  private readonly waiting: Buffer[] = [];

  constructor(options: ReplyPipelineOptions) {
    this.o = options;
    this.scanner = new ReplyScanner(options.limits);
  }

  /** True while a reply is held waiting for `learn`. */
  get isBlocked(): boolean {
    return this.blocked !== null;
  }

  /** Feeds server bytes. Returns false when the caller should pause input until `onResume`. */
  push(chunk: Buffer): boolean {
    if (this.blocked) {
      this.waiting.push(chunk);
      return false;
    }
    return this.process(chunk);
  }

  private process(chunk: Buffer): boolean {
    const { tracker, write } = this.o;
    const len = chunk.length;
    let pos = 0;
    let runStart = 0;
    while (pos < len) {
      let frameStart = 0;
      if (!this.scanner.inFrame) {
        if (tracker.mode === Mode.Raw) break;
        frameStart = pos;
        this.type = chunk[pos];
        this.inspect = tracker.startFrame(this.type);
        // startFrame switches to Raw when this frame begins a SYNC payload.
        if ((tracker.mode as Mode) === Mode.Raw) break;
      }
      const end = this.scanner.next(chunk, pos);
      if (end < 0) {
        if (this.inspect) {
          if (frameStart > runStart) write(chunk.subarray(runStart, frameStart));
          this.held.push(frameStart === 0 ? chunk : chunk.subarray(frameStart));
          runStart = len;
        }
        pos = len;
        break;
      }
      if (!this.inspect) {
        tracker.onFrame(this.type, null, 0, 0, this.scanner.nestedPush);
        pos = end;
        continue;
      }
      const spanned = this.held.length > 0;
      const buf = spanned ? Buffer.concat([...this.held, chunk.subarray(0, end)]) : chunk;
      const fs = spanned ? 0 : frameStart;
      const fe = spanned ? buf.length : end;
      const action = tracker.onFrame(this.type, buf, fs, fe, this.scanner.nestedPush);
      // Most inspected frames (+OK, +QUEUED, plain errors) change nothing: no view is made for them.
      const candidate = action !== null || (this.type === T_ERROR && mayBeRedirect(buf, fs, fe));
      const frame = candidate ? (spanned ? buf : buf.subarray(fs, fe)) : buf;
      const result = candidate ? this.rewrite(this.type, frame, action, true) : null;
      if (result !== null && !Buffer.isBuffer(result)) {
        if (frameStart > runStart) write(chunk.subarray(runStart, frameStart));
        this.held = [];
        this.blocked = { type: this.type, frame, action, rest: chunk.subarray(end) };
        result.wait.then(
          () => this.resume(),
          () => this.resume(),
        );
        return false;
      }
      if (result !== null) {
        if (frameStart > runStart) write(chunk.subarray(runStart, frameStart));
        if (result.length > 0) write(result);
        runStart = end;
      } else if (spanned) {
        // Unchanged: earlier parts go out as they came; this chunk's part joins the run.
        for (const part of this.held) write(part);
      }
      if (spanned) this.held = [];
      pos = end;
    }
    if (len > runStart) write(runStart === 0 ? chunk : chunk.subarray(runStart));
    return true;
  }

  private rewrite(type: number, frame: Buffer, action: ReplyAction, mayLearn: boolean): RewriteResult {
    const { lookup } = this.o;
    let missing: NodeRef[] = [];
    let out: Buffer | null = null;
    if (action && 'internal' in action) {
      // The reply to a request the tunnel sent itself: it is replaced by nothing.
      this.o.onInternalReply?.(action.internal, frame.toString('latin1', 0, 200).trim());
      return EMPTY;
    }
    if (type === T_ERROR) {
      out = rewriteRedirect(frame, lookup, missing);
    } else if (action) {
      const outcome = newOutcome();
      if ('topology' in action) {
        rewriteElement(action.topology, frame, 0, lookup, outcome);
      } else {
        const starts = arrayElementStarts(frame, 0, action.exec.length);
        if (!starts) this.o.tracker.failSafe('EXEC reply does not match the queued commands');
        else
          action.exec.forEach((kind, i) => kind && rewriteElement(kind, frame, starts[i], lookup, outcome));
      }
      missing = outcome.missing;
      if (outcome.edits.length > 0) out = applyEdits(frame, outcome.edits);
    }
    if (missing.length > 0) {
      const wait = mayLearn && this.o.learn ? this.o.learn(missing) : undefined;
      if (wait) return { wait };
      this.o.onUnmapped?.(missing);
    }
    return out;
  }

  private resume(): void {
    const b = this.blocked as Blocked;
    try {
      const out = this.rewrite(b.type, b.frame, b.action, false) as Buffer | null;
      this.o.write(out ?? b.frame);
      this.blocked = null;
      let flowing = b.rest.length > 0 ? this.process(b.rest) : true;
      while (flowing && this.waiting.length > 0) flowing = this.process(this.waiting.shift() as Buffer);
      if (flowing) this.o.onResume?.();
    } catch (err) {
      this.blocked = null;
      this.o.onError?.(err);
    }
  }
}
