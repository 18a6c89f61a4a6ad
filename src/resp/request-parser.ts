import { DEFAULT_MAX_FRAME_BYTES, PROTO_MAX_BULK_LEN, ProtocolError } from './errors.js';
import { InlineLine } from './inline.js';
import { NameMatcher } from './name-matcher.js';
import { LengthDigits } from './length-digits.js';
import {
  ARG_PLACES,
  CAPTURED_ARG_BYTES,
  NAME_READ_IN_PLACE,
  NAME_WITH_ARGUMENTS,
  type RequestParserOptions,
  nameFlags,
} from './request-parser-options.js';

/**
 * Finds request boundaries in the client → server stream: multibulk arrays of bulk strings, and
 * inline commands (a line not starting with `*`, ended by LF, CR optional). It reads only what
 * its options ask: the argument count, whether the command is one of a known set (by its name,
 * case-insensitively), the next two arguments for the commands that want them, and, when asked,
 * where the first arguments lie or every argument as a view. Bulk payloads are skipped by length,
 * never copied, so large values cost nothing.
 */

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;
const EMPTY = Buffer.alloc(0);

const R_START: number = 0;
const R_COUNT: number = 1;
const R_ARG_TYPE: number = 2;
const R_ARG_LEN: number = 3;
const R_ARG_BODY: number = 4;
const R_ARG_CR: number = 5;
const R_ARG_LF: number = 6;
const R_INLINE: number = 7;

export class RequestParser {
  /** Arguments in the request just completed. 0 for a request the server answers with nothing. */
  argc = 0;
  /** The command's lower-case name when it is one of `names`, else null. */
  name: string | null = null;
  /** Second and third arguments, for commands in `withArguments` (null if absent or too long). */
  arg1: string | null = null;
  arg2: string | null = null;
  /** True while a request has started and not ended. */
  inRequest = false;
  /** The current (or just completed) request is an inline command line, not a multibulk. */
  inline = false;
  /** How many leading arguments of the current request are complete. */
  argsDone = 0;
  /**
   * With `keepArgs`: the request's arguments (an inline line's words), or null when one spanned
   * chunks or its name is one of `readInPlace` (read it whole, once it is complete, with
   * `requestArgs`).
   */
  args: Buffer[] | null = null;
  /**
   * With `argPlaces`: argument i of the request just completed lies in argBuffers[i] from
   * argStarts[i], argLengths[i] bytes long (-1: it spanned reads, or is not there). Valid only
   * while the request's chunk is at hand.
   */
  readonly argBuffers: Array<Buffer | null> = new Array<Buffer | null>(ARG_PLACES).fill(null);
  readonly argStarts = new Int32Array(ARG_PLACES);
  readonly argLengths = new Int32Array(ARG_PLACES).fill(-1);

  private readonly matcher: NameMatcher;
  /** Per name: WITH_ARGUMENTS, READ_IN_PLACE (one look-up per request, not one per use). */
  private readonly nameFlags: ReadonlyMap<string, number>;
  /** The flags of the current request's name (0 until it is read, or when it has none). */
  private flags = 0;
  private readonly maxFrameBytes: number;
  private readonly maxBulkBytes: number;
  private readonly keepArgs: boolean;
  private readonly argPlaces: boolean;
  private state = R_START;
  /** The count or argument length being read. */
  private readonly digits = new LengthDigits();
  private bodyLeft = 0;
  private bodyLength = 0;
  /** Argument bytes when one we read spans chunks. */
  private partial: Buffer | null = null;
  private partialLen = 0;
  private readonly inlineLine = new InlineLine();
  /** The words of the inline line just read (null: the request is not inline). */
  private inlineWords: string[] | null = null;
  private requestBytes = 0;

  constructor(options: RequestParserOptions) {
    this.matcher = NameMatcher.of(options.names);
    this.nameFlags = nameFlags(options);
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxBulkBytes = options.maxBulkBytes ?? PROTO_MAX_BULK_LEN;
    this.keepArgs = options.keepArgs ?? false;
    this.argPlaces = options.argPlaces ?? false;
  }

  /**
   * Scans `buf` from `pos`; returns the offset just past the first request that ends in it, or -1
   * when `buf` is used up first (partial state is kept for the next chunk).
   */
  next(buf: Buffer, pos: number): number {
    const len = buf.length;
    let p = pos;
    while (p < len) {
      switch (this.state) {
        case R_START:
          this.begin(buf[p]);
          if (this.state === R_COUNT) p++;
          break;
        case R_COUNT: {
          const d = this.digits;
          p = d.scan(buf, p);
          if (d.done) {
            this.state = R_ARG_TYPE;
            const n = d.negative ? -d.num : d.num;
            // `*0` and `*-1` (any count <= 0) are consumed by the server with no reply.
            if (n <= 0) return this.finish(p, pos);
            if (n > this.maxFrameBytes) throw d.refused();
            this.argc = n;
          }
          break;
        }
        case R_ARG_TYPE:
          if (buf[p] !== DOLLAR)
            throw new ProtocolError(
              'ERR_EXPECTED_BULK',
              `expected '$', got '${String.fromCharCode(buf[p])}'`,
            );
          p++;
          this.digits.reset(false);
          this.state = R_ARG_LEN;
          break;
        case R_ARG_LEN: {
          const d = this.digits;
          p = d.scan(buf, p);
          if (d.done) {
            if (d.negative || d.num > this.maxBulkBytes) throw d.refused();
            this.startArgument(d.num);
          }
          break;
        }
        case R_ARG_BODY: {
          const take = Math.min(this.bodyLeft, len - p);
          if (take === this.bodyLength) {
            this.readArgument(buf, p, take); // whole argument in this chunk: the usual case
            this.args?.push(buf.subarray(p, p + take));
            if (this.argPlaces && this.argsDone < ARG_PLACES) {
              this.argBuffers[this.argsDone] = buf;
              this.argStarts[this.argsDone] = p;
              this.argLengths[this.argsDone] = take;
            }
          } else if (this.wanted()) {
            this.partial ??= Buffer.allocUnsafe(CAPTURED_ARG_BYTES);
            buf.copy(this.partial, this.partialLen, p, p + take);
            this.partialLen += take;
            if (this.partialLen === this.bodyLength) this.readArgument(this.partial, 0, this.partialLen);
          }
          if (take !== this.bodyLength) this.args = null;
          p += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) this.state = R_ARG_CR;
          break;
        }
        case R_ARG_CR:
          if (buf[p++] !== CR)
            throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk argument not followed by CRLF');
          this.state = R_ARG_LF;
          break;
        case R_ARG_LF:
          if (buf[p++] !== LF)
            throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk argument not followed by CRLF');
          this.state = R_ARG_TYPE;
          if (++this.argsDone === this.argc) return this.finish(p, pos);
          break;
        case R_INLINE: {
          const end = this.inlineLine.read(buf, p);
          if (end < 0) {
            p = len;
            break;
          }
          this.parseInline();
          return this.finish(end, pos);
        }
      }
    }
    this.addBytes(p - pos);
    return -1;
  }

  /**
   * The arguments of the request just completed, from where they lie (see argPlaces), when all of
   * them are placed: a request read in place need not be read again to be read whole. Null when
   * one is not placed (past ARG_PLACES, spanning reads). An inline line's are its words, as split.
   */
  placedArgs(): Buffer[] | null {
    const n = this.argc;
    if (this.inline) return this.inlineWords === null ? null : latin1Buffers(this.inlineWords);
    if (!this.argPlaces || n > ARG_PLACES) return null;
    const args: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const length = this.argLengths[i];
      if (length < 0) return null;
      const at = this.argStarts[i];
      args.push((this.argBuffers[i] as Buffer).subarray(at, at + length));
    }
    return args;
  }

  /**
   * The chunk just parsed is done with: what points into it goes. A request it began reads on with
   * no places (-1) for the arguments it held there, and none kept.
   */
  forgetChunk(): void {
    this.argBuffers.fill(null);
    this.argLengths.fill(-1);
    this.args = null;
  }

  private begin(first: number): void {
    this.inRequest = true;
    this.argc = 0;
    this.argsDone = 0;
    this.name = null;
    this.arg1 = null;
    this.arg2 = null;
    this.requestBytes = 0;
    this.flags = 0;
    this.args = this.keepArgs && first === STAR ? [] : null;
    if (this.argPlaces) {
      // Element by element: TypedArray#fill costs as much as the rest of a short request's parse.
      const lengths = this.argLengths;
      for (let i = 0; i < ARG_PLACES; i++) lengths[i] = -1;
    }
    this.inline = first !== STAR;
    this.inlineWords = null;
    if (first === STAR) {
      this.state = R_COUNT;
      this.digits.reset(true);
    } else {
      this.inlineLine.clear();
      this.state = R_INLINE;
    }
  }

  private startArgument(n: number): void {
    if (n > this.maxFrameBytes)
      throw new ProtocolError('ERR_FRAME_TOO_LARGE', `argument of ${n} bytes exceeds the cap`);
    this.bodyLeft = n;
    this.bodyLength = n;
    this.partialLen = 0;
    if (n === 0) {
      this.readArgument(EMPTY, 0, 0);
      this.args?.push(EMPTY);
    }
    this.state = n === 0 ? R_ARG_CR : R_ARG_BODY;
  }

  /** Whether the argument being read is one we look at. */
  private wanted(): boolean {
    const i = this.argsDone;
    if (i === 0) return this.bodyLength <= CAPTURED_ARG_BYTES;
    return i <= 2 && this.bodyLength <= CAPTURED_ARG_BYTES && (this.flags & NAME_WITH_ARGUMENTS) !== 0;
  }

  private readArgument(buf: Buffer, start: number, length: number): void {
    if (!this.wanted()) return;
    if (this.argsDone === 0) {
      const name = (this.name = this.matcher.match(buf, start, length));
      if (name === null) return;
      this.flags = this.nameFlags.get(name) ?? 0;
      if ((this.flags & NAME_READ_IN_PLACE) !== 0) this.args = null;
    } else if (this.argsDone === 1) this.arg1 = buf.toString('latin1', start, start + length);
    else this.arg2 = buf.toString('latin1', start, start + length);
  }

  private parseInline(): void {
    const words = (this.inlineWords = this.inlineLine.words());
    if (this.keepArgs) this.args = latin1Buffers(words);
    this.argc = words.length;
    this.argsDone = words.length;
    if (words.length === 0) return;
    this.name = words[0].length <= CAPTURED_ARG_BYTES ? this.matcher.matchString(words[0]) : null;
    if (this.name !== null && ((this.nameFlags.get(this.name) ?? 0) & NAME_WITH_ARGUMENTS) !== 0) {
      const arg = (w: string | undefined): string | null =>
        w !== undefined && w.length <= CAPTURED_ARG_BYTES ? w : null;
      this.arg1 = arg(words[1]);
      this.arg2 = arg(words[2]);
    }
  }

  private finish(end: number, pos: number): number {
    this.addBytes(end - pos);
    this.state = R_START;
    this.inRequest = false;
    return end;
  }

  private addBytes(n: number): void {
    this.requestBytes += n;
    if (this.requestBytes > this.maxFrameBytes) {
      throw new ProtocolError('ERR_FRAME_TOO_LARGE', `request exceeds ${this.maxFrameBytes} bytes`);
    }
  }
}

/** Words split from a line read as latin1, as the bytes they were. */
function latin1Buffers(words: string[]): Buffer[] {
  return words.map((w) => Buffer.from(w, 'latin1'));
}
