import { ProtocolError } from './errors.js';
import {
  CR,
  LF,
  T_ATTRIBUTE,
  T_INTEGER,
  T_MAP,
  T_NULL,
  isAggregate,
  isBulkType,
  parseInteger,
} from './types.js';

const MINUS = 0x2d;
const ZERO = 0x30;

/**
 * Reads a complete, already delimited frame element by element without building a tree: for hot
 * rewrites (CLUSTER SLOTS on every client refresh) that only need a few values and offsets.
 */
export class Cursor {
  buf: Buffer;
  pos: number;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  /** Type byte of the element at the cursor. */
  peek(): number {
    return this.buf[this.pos];
  }

  /** Reads `<type><digits>\r\n` and returns the number (-1 for `-1`). The cursor moves past it. */
  header(): number {
    const buf = this.buf;
    let p = this.pos + 1;
    let negative = false;
    if (buf[p] === MINUS) {
      negative = true;
      p++;
    }
    let n = 0;
    let digits = 0;
    for (; p < buf.length && buf[p] !== CR; p++) {
      const c = buf[p] - ZERO;
      if (c < 0 || c > 9 || ++digits > 15) throw new ProtocolError('ERR_BAD_LENGTH', 'bad length');
      n = n * 10 + c;
    }
    if (digits === 0 || buf[p + 1] !== LF) throw new ProtocolError('ERR_BAD_LENGTH', 'bad length');
    this.pos = p + 2;
    return negative ? -n : n;
  }

  /** Number of child elements an aggregate header announces (maps count keys and values). */
  aggregateCount(): number {
    const type = this.peek();
    const n = this.header();
    if (n < 0) return 0;
    return type === T_MAP || type === T_ATTRIBUTE ? n * 2 : n;
  }

  /** Reads a string-like element (bulk, simple, verbatim) as latin1; null for null elements. */
  string(): string | null {
    const type = this.peek();
    if (isBulkType(type)) {
      const n = this.header();
      if (n < 0) return null;
      const s = this.buf.toString('latin1', this.pos, this.pos + n);
      this.pos += n + 2;
      return s;
    }
    if (type === T_NULL) {
      this.pos += 3;
      return null;
    }
    const end = this.lineEnd();
    const s = this.buf.toString('latin1', this.pos + 1, end);
    this.pos = end + 2;
    return s;
  }

  /** Reads a bulk string as a view of its payload, checking its length and terminator. */
  bulk(): Buffer {
    if (!isBulkType(this.peek())) throw new ProtocolError('ERR_EXPECTED_BULK', 'expected a bulk string');
    const n = this.header();
    const end = this.pos + Math.max(n, 0);
    if (n < 0 || this.buf[end] !== CR || this.buf[end + 1] !== LF)
      throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk payload not followed by CRLF');
    const value = this.buf.subarray(this.pos, end);
    this.pos = end + 2;
    return value;
  }

  /** Reads an integer element; NaN (and the cursor past the element) for anything else. */
  integer(): number {
    if (this.peek() !== T_INTEGER) {
      this.skip();
      return NaN;
    }
    const end = this.lineEnd();
    const n = parseInteger(this.buf, this.pos + 1, end);
    this.pos = end + 2;
    return n;
  }

  /** Moves past one element (an attribute prefix and the element it prefixes count as one). */
  skip(): void {
    const type = this.peek();
    if (isBulkType(type)) {
      const n = this.header();
      if (n >= 0) this.pos += n + 2;
      return;
    }
    if (isAggregate(type)) {
      const count = this.aggregateCount();
      for (let i = 0; i < count; i++) this.skip();
      if (type === T_ATTRIBUTE) this.skip();
      return;
    }
    this.pos = this.lineEnd() + 2;
  }

  private lineEnd(): number {
    const cr = this.buf.indexOf(CR, this.pos);
    if (cr < 0) throw new ProtocolError('ERR_BAD_TERMINATOR', 'line not ended by CRLF');
    return cr;
  }
}
