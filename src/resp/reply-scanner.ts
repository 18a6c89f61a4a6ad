import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_FRAME_BYTES, ProtocolError } from './errors.js';
import {
  CR,
  LF,
  T_ARRAY,
  T_ATTRIBUTE,
  T_BIGNUM,
  T_BOOLEAN,
  T_BULK,
  T_BULK_ERROR,
  T_DOUBLE,
  T_ERROR,
  T_INTEGER,
  T_MAP,
  T_NULL,
  T_PUSH,
  T_SET,
  T_SIMPLE,
  T_VERBATIM,
} from './types.js';

/**
 * Finds the boundaries of server → client frames (every RESP2 and RESP3 type) in a byte stream
 * that arrives in chunks split anywhere. It never decodes payloads: bulk bodies are skipped by
 * length, lines are found with `indexOf`, and its state survives between chunks, so a frame split
 * over many chunks is scanned exactly once.
 */

const S_TYPE: number = 0;
const S_LINE: number = 1;
const S_LEN: number = 2;
const S_BODY: number = 3;
const S_BODY_CR: number = 4;
const S_BODY_LF: number = 5;

export interface ScannerLimits {
  /** Largest frame accepted, in bytes. @default DEFAULT_MAX_FRAME_BYTES (1 GiB) */
  maxFrameBytes?: number;
  /** Deepest aggregate nesting accepted. @default DEFAULT_MAX_DEPTH (128) */
  maxDepth?: number;
}

/** Type byte → 1 for types that are one line, 2 for types that start with a length, 0 otherwise. */
const TYPE_CLASS = new Uint8Array(256);
for (const t of [T_SIMPLE, T_ERROR, T_INTEGER, T_NULL, T_BOOLEAN, T_DOUBLE, T_BIGNUM]) TYPE_CLASS[t] = 1;
for (const t of [T_BULK, T_ARRAY, T_BULK_ERROR, T_VERBATIM, T_MAP, T_SET, T_PUSH, T_ATTRIBUTE])
  TYPE_CLASS[t] = 2;

export class ReplyScanner {
  /** Type byte of the frame being scanned, or of the one just completed. */
  frameType = 0;
  /** True while a top-level frame has started and not yet ended. */
  inFrame = false;
  /** True if the current (or just completed) frame holds a push frame nested inside an aggregate. */
  nestedPush = false;

  private readonly maxFrameBytes: number;
  private readonly maxDepth: number;
  private state = S_TYPE;
  private depth = 0;
  private readonly remaining: number[] = [];
  private readonly attribute: boolean[] = [];
  private lenType = 0;
  private lenValue = 0;
  private lenDigits = 0;
  private lenNegative = false;
  private lenSawCR = false;
  private bodyLeft = 0;
  private lineEndsWithCR = false;
  private frameBytes = 0;

  constructor(limits: ScannerLimits = {}) {
    this.maxFrameBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /**
   * Scans `buf` from `pos`. Returns the offset just past the first top-level frame that ends in
   * `buf`, or -1 when `buf` is used up without a frame ending (the partial state is kept).
   */
  next(buf: Buffer, pos: number): number {
    const len = buf.length;
    let p = pos;
    let segmentStart = pos;
    while (p < len) {
      let elementDone = false;
      switch (this.state) {
        case S_TYPE: {
          const t = buf[p];
          if (this.depth === 0) {
            this.frameType = t;
            this.inFrame = true;
            this.nestedPush = false;
            this.frameBytes = 0;
            segmentStart = p;
          } else if (t === T_PUSH) {
            this.nestedPush = true;
          }
          p++;
          const cls = TYPE_CLASS[t];
          if (cls === 1) {
            this.state = S_LINE;
            this.lineEndsWithCR = false;
          } else if (cls === 2) {
            this.state = S_LEN;
            this.lenType = t;
            this.lenValue = 0;
            this.lenDigits = 0;
            this.lenNegative = false;
            this.lenSawCR = false;
          } else {
            throw new ProtocolError('ERR_UNKNOWN_TYPE', `unknown reply type byte 0x${t.toString(16)}`);
          }
          break;
        }
        case S_LINE: {
          const lf = buf.indexOf(LF, p);
          if (lf < 0) {
            this.lineEndsWithCR = buf[len - 1] === CR;
            p = len;
            break;
          }
          // When the LF is the first byte of this call, its CR was the last byte of the previous chunk.
          const crOk = lf > pos ? buf[lf - 1] === CR : this.lineEndsWithCR;
          if (!crOk) throw new ProtocolError('ERR_BAD_TERMINATOR', 'reply line not ended by CRLF');
          p = lf + 1;
          elementDone = true;
          break;
        }
        case S_LEN: {
          p = this.scanLength(buf, p);
          if (this.state === S_LEN) break; // chunk ended inside the length line
          elementDone = this.startLengthValue();
          break;
        }
        case S_BODY: {
          const take = Math.min(this.bodyLeft, len - p);
          p += take;
          this.bodyLeft -= take;
          if (this.bodyLeft === 0) this.state = S_BODY_CR;
          break;
        }
        case S_BODY_CR: {
          if (buf[p++] !== CR)
            throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk payload not followed by CRLF');
          this.state = S_BODY_LF;
          break;
        }
        case S_BODY_LF: {
          if (buf[p++] !== LF)
            throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk payload not followed by CRLF');
          elementDone = true;
          break;
        }
      }
      if (elementDone && this.completeElement()) {
        this.addFrameBytes(p - segmentStart);
        this.inFrame = false;
        return p;
      }
    }
    if (this.inFrame) this.addFrameBytes(p - segmentStart);
    return -1;
  }

  /** Consumes length-line bytes; leaves `state` as S_LEN if the chunk ended first. */
  private scanLength(buf: Buffer, start: number): number {
    let p = start;
    const len = buf.length;
    while (p < len) {
      const c = buf[p++];
      if (this.lenSawCR) {
        if (c !== LF || this.lenDigits === 0)
          throw new ProtocolError('ERR_BAD_LENGTH', 'malformed length line');
        this.state = S_TYPE;
        return p;
      }
      if (c >= 0x30 && c <= 0x39) {
        this.lenValue = this.lenValue * 10 + (c - 0x30);
        if (++this.lenDigits > 15) throw new ProtocolError('ERR_BAD_LENGTH', 'length has too many digits');
      } else if (c === 0x2d && this.lenDigits === 0 && !this.lenNegative) {
        this.lenNegative = true;
      } else if (c === CR) {
        this.lenSawCR = true;
      } else {
        throw new ProtocolError('ERR_BAD_LENGTH', `unexpected byte 0x${c.toString(16)} in a length`);
      }
    }
    return p;
  }

  /** Acts on a fully read length. Returns true when the element is already complete. */
  private startLengthValue(): boolean {
    const t = this.lenType;
    if (this.lenNegative) {
      // Only RESP2's null bulk ($-1) and null array (*-1) are negative.
      if (this.lenValue !== 1 || (t !== T_BULK && t !== T_ARRAY)) {
        throw new ProtocolError('ERR_BAD_LENGTH', `negative length for type ${String.fromCharCode(t)}`);
      }
      return true;
    }
    const n = this.lenValue;
    if (t === T_BULK || t === T_BULK_ERROR || t === T_VERBATIM) {
      if (t === T_VERBATIM && n < 4)
        throw new ProtocolError('ERR_BAD_LENGTH', 'verbatim string shorter than its format');
      if (n > this.maxFrameBytes)
        throw new ProtocolError('ERR_FRAME_TOO_LARGE', `bulk of ${n} bytes exceeds the cap`);
      this.bodyLeft = n;
      this.state = n === 0 ? S_BODY_CR : S_BODY;
      return false;
    }
    const count = t === T_MAP || t === T_ATTRIBUTE ? n * 2 : n;
    if (count === 0) return t !== T_ATTRIBUTE || this.completeEmptyAttribute();
    if (count > this.maxFrameBytes)
      throw new ProtocolError('ERR_FRAME_TOO_LARGE', `aggregate of ${n} elements exceeds the cap`);
    if (this.depth >= this.maxDepth) throw new ProtocolError('ERR_TOO_DEEP', 'aggregates nested too deeply');
    this.remaining[this.depth] = count;
    this.attribute[this.depth] = t === T_ATTRIBUTE;
    this.depth++;
    return false;
  }

  /** An empty attribute (`|0`) adds nothing; at top level it is still a frame of its own. */
  private completeEmptyAttribute(): boolean {
    return this.depth === 0;
  }

  /**
   * Records that one element finished. Returns true when that completed the top-level frame.
   * Attributes do not count as elements of their parent: they prefix the next element.
   */
  private completeElement(): boolean {
    this.state = S_TYPE;
    while (this.depth > 0) {
      const top = this.depth - 1;
      if (--this.remaining[top] > 0) return false;
      this.depth = top;
      if (this.attribute[top]) return top === 0;
    }
    return true;
  }

  private addFrameBytes(n: number): void {
    this.frameBytes += n;
    if (this.frameBytes > this.maxFrameBytes) {
      throw new ProtocolError('ERR_FRAME_TOO_LARGE', `frame exceeds ${this.maxFrameBytes} bytes`);
    }
  }
}
