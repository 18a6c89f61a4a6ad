import { DEFAULT_MAX_FRAME_BYTES, MAX_INLINE_BYTES, ProtocolError } from './errors.js';
import { splitInline } from './inline.js';

/**
 * Finds request boundaries in the client → server stream: multibulk arrays of bulk strings, and
 * inline commands (a line not starting with `*`, ended by LF, CR optional). It captures only what
 * reply tracking needs: the argument count and the first few arguments when they are short.
 * Bulk payloads are skipped by length, never copied, so large values cost nothing.
 */

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;

/** How many leading arguments are captured, and the longest one captured. */
export const CAPTURED_ARGS = 3;
export const CAPTURED_ARG_BYTES = 64;

const R_START: number = 0;
const R_COUNT: number = 1;
const R_ARG_TYPE: number = 2;
const R_ARG_LEN: number = 3;
const R_ARG_BODY: number = 4;
const R_ARG_CR: number = 5;
const R_ARG_LF: number = 6;
const R_INLINE: number = 7;

export class RequestParser {
  /** Arguments in the request just completed (or being read). 0 for a request that gets no reply. */
  argc = 0;
  /** The first CAPTURED_ARGS arguments as latin1 text; null when longer than CAPTURED_ARG_BYTES. */
  readonly args: Array<string | null> = [];
  /** How many leading arguments are complete so far in the current request. */
  argsDone = 0;
  /** True while a request has started and not ended. */
  inRequest = false;
  /** True for a request that arrived as an inline line. */
  inline = false;

  private readonly maxFrameBytes: number;
  private state = R_START;
  private num = 0;
  private digits = 0;
  private negative = false;
  private sawCR = false;
  private bodyLeft = 0;
  private capture: Buffer | null = null;
  private captureLen = 0;
  private inlineParts: Buffer[] = [];
  private inlineBytes = 0;
  private requestBytes = 0;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
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
        case R_COUNT:
          p = this.scanNumber(buf, p);
          if (this.state === R_ARG_TYPE) {
            const n = this.negative ? -this.num : this.num;
            // `*0` and `*-1` (any count <= 0) are consumed by the server with no reply.
            if (n <= 0) return this.finish(p, pos);
            if (n > this.maxFrameBytes) throw new ProtocolError('ERR_BAD_LENGTH', 'multibulk count out of range');
            this.argc = n;
          }
          break;
        case R_ARG_TYPE:
          if (buf[p] !== DOLLAR) throw new ProtocolError('ERR_EXPECTED_BULK', 'expected a bulk string in a request');
          p++;
          this.resetNumber();
          this.state = R_ARG_LEN;
          break;
        case R_ARG_LEN:
          p = this.scanNumber(buf, p);
          if (this.state === R_ARG_TYPE) {
            if (this.negative) throw new ProtocolError('ERR_BAD_LENGTH', 'negative bulk length in a request');
            this.startArgument(this.num);
          }
          break;
        case R_ARG_BODY: {
          const take = Math.min(this.bodyLeft, len - p);
          if (this.capture) {
            buf.copy(this.capture, this.captureLen, p, p + take);
            this.captureLen += take;
          }
          p += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) this.state = R_ARG_CR;
          break;
        }
        case R_ARG_CR:
          if (buf[p++] !== CR) throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk argument not followed by CRLF');
          this.state = R_ARG_LF;
          break;
        case R_ARG_LF:
          if (buf[p++] !== LF) throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk argument not followed by CRLF');
          if (this.endArgument()) return this.finish(p, pos);
          break;
        case R_INLINE: {
          const lf = buf.indexOf(LF, p);
          const end = lf < 0 ? len : lf + 1;
          this.inlineParts.push(buf.subarray(p, end));
          this.inlineBytes += end - p;
          if (this.inlineBytes > MAX_INLINE_BYTES) {
            throw new ProtocolError('ERR_FRAME_TOO_LARGE', 'inline request longer than 64 KiB');
          }
          p = end;
          if (lf >= 0) {
            this.parseInline();
            return this.finish(p, pos);
          }
          break;
        }
      }
    }
    this.addBytes(p - pos);
    return -1;
  }

  private begin(first: number): void {
    this.inRequest = true;
    this.argc = 0;
    this.argsDone = 0;
    this.args.length = 0;
    this.requestBytes = 0;
    if (first === STAR) {
      this.inline = false;
      this.state = R_COUNT;
      this.resetNumber();
    } else {
      this.inline = true;
      this.inlineParts = [];
      this.inlineBytes = 0;
      this.state = R_INLINE;
    }
  }

  private resetNumber(): void {
    this.num = 0;
    this.digits = 0;
    this.negative = false;
    this.sawCR = false;
  }

  /** Reads digits up to CRLF; on CRLF moves to R_ARG_TYPE. */
  private scanNumber(buf: Buffer, start: number): number {
    let p = start;
    while (p < buf.length) {
      const c = buf[p++];
      if (this.sawCR) {
        if (c !== LF || this.digits === 0) throw new ProtocolError('ERR_BAD_LENGTH', 'malformed length in a request');
        this.state = R_ARG_TYPE;
        return p;
      }
      if (c >= 0x30 && c <= 0x39) {
        this.num = this.num * 10 + (c - 0x30);
        if (++this.digits > 15) throw new ProtocolError('ERR_BAD_LENGTH', 'length has too many digits');
      } else if (c === 0x2d && this.digits === 0 && !this.negative) {
        this.negative = true;
      } else if (c === CR) {
        this.sawCR = true;
      } else {
        throw new ProtocolError('ERR_BAD_LENGTH', `unexpected byte 0x${c.toString(16)} in a request length`);
      }
    }
    return p;
  }

  private startArgument(n: number): void {
    if (n > this.maxFrameBytes) throw new ProtocolError('ERR_FRAME_TOO_LARGE', `argument of ${n} bytes exceeds the cap`);
    this.bodyLeft = n;
    this.capture = this.argsDone < CAPTURED_ARGS && n <= CAPTURED_ARG_BYTES ? Buffer.allocUnsafe(n) : null;
    this.captureLen = 0;
    this.state = n === 0 ? R_ARG_CR : R_ARG_BODY;
  }

  /** Returns true when that was the last argument. */
  private endArgument(): boolean {
    if (this.argsDone < CAPTURED_ARGS) {
      this.args.push(this.capture ? this.capture.toString('latin1', 0, this.captureLen) : null);
    }
    this.capture = null;
    this.argsDone++;
    this.state = R_ARG_TYPE;
    return this.argsDone === this.argc;
  }

  private parseInline(): void {
    const raw =
      this.inlineParts.length === 1 ? this.inlineParts[0] : Buffer.concat(this.inlineParts, this.inlineBytes);
    this.inlineParts = [];
    const words = splitInline(raw.toString('latin1'));
    this.argc = words.length;
    this.argsDone = words.length;
    for (let i = 0; i < Math.min(words.length, CAPTURED_ARGS); i++) {
      this.args.push(words[i].length <= CAPTURED_ARG_BYTES ? words[i] : null);
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
