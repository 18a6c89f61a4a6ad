import { ProtocolError } from '../resp/errors.js';
import type { RequestParserOptions, RequestSizeLimits } from '../resp/request-parser-options.js';
import { RequestParser } from '../resp/request-parser.js';
import { ADDRESS_COMMANDS } from '../rewrite/requests.js';
import type { ParsedRequest } from './commands.js';
import { CREDENTIAL_COMMANDS } from './local-auth.js';
import { WAIT_COMMANDS } from './wait-marker.js';
import type { SessionSink } from './sink.js';
import { Mode } from './reply-action.js';
import type { ReplyTracker } from './tracker.js';

export interface RequestPipelineOptions {
  tracker: ReplyTracker;
  sink: Pick<SessionSink, 'toServer' | 'ownFromHere'>;
  /**
   * Rewrites a complete request that names a node address (MIGRATE, CLUSTER MEET, REPLICAOF) or
   * carries credentials (AUTH, HELLO); null keeps it. Without it, requests are never held.
   */
  rewrite?: (request: Buffer) => Buffer | null;
  /**
   * The tunnel's AUTH, sent right behind a client's RESET: RESET logs a connection in as `default`,
   * and the login a tunnel client starts with (and returns to) is the tunnel's. Null: no AUTH.
   */
  loginAfterReset?: () => Buffer | null;
  /** The write of the tunnel's own that goes right before a client's WAIT (see WaitMarkers). */
  waitMarker?: () => Buffer | null;
  limits?: RequestSizeLimits;
  /**
   * How requests are read: RequestReading's options, the one configuration every client parser of
   * the tunnel has (it names TRACKED_COMMANDS and HELD_COMMANDS, which this pipeline acts on).
   */
  parserOptions: Readonly<RequestParserOptions>;
}

/**
 * Requests held until complete: addresses and credentials (--local-password), offered to
 * `rewrite`; WAIT, which gets the wait marker in front of it.
 */
export const HELD_COMMANDS: readonly string[] = [
  ...ADDRESS_COMMANDS,
  ...CREDENTIAL_COMMANDS,
  ...WAIT_COMMANDS,
];
const HOLD = new Set<string>(HELD_COMMANDS);
const WAITS = new Set<string>(WAIT_COMMANDS);

/**
 * Client → server. Every complete request is recorded with the tracker before its last byte is
 * forwarded, so its reply can never arrive first. Bytes go out unchanged, one write per chunk,
 * except the few requests that carry node addresses: those are held until complete and rewritten.
 */
export class RequestPipeline {
  private readonly o: RequestPipelineOptions;
  private readonly parser: RequestParser;
  /** Parts of a held request that began in an earlier chunk. */
  private held: Buffer[] = [];
  /** After a malformed request nothing more is parsed on this connection. */
  private unparsed = false;
  /** In the chunk being pushed: where the bytes not yet written begin. */
  private runStart = 0;
  /** Whole requests read so far (not counted once parsing stopped: raw mode, a malformed one). */
  count = 0;

  constructor(options: RequestPipelineOptions) {
    this.o = options;
    this.parser = new RequestParser({ ...options.parserOptions, ...options.limits });
  }

  push(chunk: Buffer): void {
    const { tracker } = this.o;
    if (tracker.mode === Mode.Raw || this.unparsed) {
      this.flushHeld();
      return this.o.sink.toServer(chunk);
    }
    this.runStart = 0;
    try {
      this.scan(chunk);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      // A request the server would refuse goes to it as it is: the server answers what it would
      // answer without the tunnel (after the requests before it) and closes the connection.
      this.unparsed = true;
      tracker.failSafe(`malformed request (${e.code}) passed to the node unparsed`);
      this.flushHeld();
    }
    if (chunk.length > this.runStart)
      this.o.sink.toServer(this.runStart === 0 ? chunk : chunk.subarray(this.runStart));
  }

  /**
   * A whole request that was read already (by the client's shared lane, which stopped at it: see
   * SharedLane.heldFirst), with what was read of it: it goes on as `push` would send it, without
   * being read again. `rewritten`: what `rewrite` made of it there, not made again.
   */
  pushParsed(request: Buffer, parsed: ParsedRequest, rewritten?: Buffer): void {
    if (this.o.tracker.mode === Mode.Raw || this.unparsed || this.parser.inRequest || this.held.length > 0)
      return this.push(request);
    this.runStart = 0;
    this.whole(request, 0, request.length, parsed, rewritten);
    if (request.length > this.runStart) this.o.sink.toServer(request.subarray(this.runStart));
  }

  /** Parses one chunk, writing what is settled; bytes from `runStart` on are still to go out. */
  private scan(chunk: Buffer): void {
    const { sink } = this.o;
    const r = this.parser;
    let pos = 0;
    while (pos < chunk.length) {
      const start = r.inRequest ? 0 : pos;
      const end = r.next(chunk, pos);
      if (end < 0) {
        if (this.mayRewrite()) {
          if (start > this.runStart) sink.toServer(chunk.subarray(this.runStart, start));
          // The chunk is lent (see SessionSink): what is kept is copied.
          this.held.push(Buffer.from(start === 0 ? chunk : chunk.subarray(start)));
          this.runStart = chunk.length;
        } else {
          this.flushHeld(); // not a candidate after all: what was held goes first, the rest streams
        }
        return;
      }
      this.whole(chunk, start, end, r);
      pos = end;
    }
  }

  /**
   * The request at `chunk[start, end)` is whole (`start` is 0 when it began in an earlier chunk,
   * whose parts are held): it is recorded, and a held one is rewritten or marked and sent.
   */
  private whole(chunk: Buffer, start: number, end: number, r: ParsedRequest, rewritten?: Buffer): void {
    const { tracker, sink } = this.o;
    const marker = r.name !== null && WAITS.has(r.name) ? this.waitMarker() : null;
    tracker.onRequest(r.argc, r.name, r.arg1, r.arg2);
    if (r.argc > 0) this.count++;
    if (this.o.rewrite && r.name !== null && HOLD.has(r.name)) {
      const spanned = this.held.length > 0;
      const request = spanned
        ? Buffer.concat([...this.held, chunk.subarray(0, end)])
        : chunk.subarray(start, end);
      this.held = [];
      const out = marker ? Buffer.concat([marker, request]) : (rewritten ?? this.o.rewrite(request));
      if (out) {
        if (start > this.runStart) sink.toServer(chunk.subarray(this.runStart, start));
        // The marker and the WAIT must meet on one connection, the client's own.
        if (marker) sink.ownFromHere('WAIT counts the writes of the connection it runs on');
        sink.toServer(out);
        this.runStart = end;
      } else if (spanned) {
        // Unchanged: the earlier parts go out, this chunk's part joins the run.
        sink.toServer(request.subarray(0, request.length - end));
      }
    } else {
      this.flushHeld();
      if (r.name === 'reset') this.loginAfterReset(chunk, end);
    }
  }

  /** The wait marker, recorded as the tunnel's own request, when one can go in now. */
  private waitMarker(): Buffer | null {
    const { tracker } = this.o;
    const marker = this.o.rewrite && tracker.canInsert() ? (this.o.waitMarker?.() ?? null) : null;
    if (marker) tracker.onInternalRequest();
    return marker;
  }

  /**
   * Sends the tunnel's AUTH right behind the RESET that ends at `end`, so the requests after it run
   * as before the client logged in; its reply is the tunnel's (dropped). Only while replies are
   * paired: otherwise that reply would reach the client.
   */
  private loginAfterReset(chunk: Buffer, end: number): void {
    const { tracker, sink } = this.o;
    const login = tracker.mode === Mode.Track ? this.o.loginAfterReset?.() : null;
    if (!login) return;
    if (end > this.runStart) sink.toServer(chunk.subarray(this.runStart, end));
    this.runStart = end;
    tracker.onInternalRequest();
    sink.toServer(login);
  }

  /**
   * Sends a request of the tunnel's own (a fresh AUTH) if it can go in between the client's
   * requests without changing what the client sees: at a request boundary, on an idle connection.
   */
  inject(request: Buffer): boolean {
    const { tracker } = this.o;
    if (this.parser.inRequest || this.held.length > 0 || !tracker.canInject()) return false;
    tracker.onInternalRequest();
    this.o.sink.toServer(request);
    return true;
  }

  /** A partial request is held when it may need rewriting: its name is one, or not read yet. */
  private mayRewrite(): boolean {
    if (!this.o.rewrite) return false;
    const r = this.parser;
    return r.argsDone === 0 || (r.name !== null && HOLD.has(r.name));
  }

  private flushHeld(): void {
    // Called after every ordinary request: nothing to do (and nothing to allocate) unless held.
    if (this.held.length === 0) return;
    for (const part of this.held) this.o.sink.toServer(part);
    this.held = [];
  }
}
