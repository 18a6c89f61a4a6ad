import { ProtocolError } from './errors.js';
import { T_ATTRIBUTE, T_BULK, T_BULK_ERROR, T_INTEGER, T_MAP, T_NULL, T_VERBATIM } from './reply-scanner.js';

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
    if (buf[p] === 0x2d) {
      negative = true;
      p++;
    }
    let n = 0;
    let digits = 0;
    for (; p < buf.length && buf[p] !== 0x0d; p++) {
      const c = buf[p] - 0x30;
      if (c < 0 || c > 9 || ++digits > 15) throw new ProtocolError('ERR_BAD_LENGTH', 'bad length');
      n = n * 10 + c;
    }
    if (digits === 0 || buf[p + 1] !== 0x0a) throw new ProtocolError('ERR_BAD_LENGTH', 'bad length');
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
    if (type === T_BULK || type === T_BULK_ERROR || type === T_VERBATIM) {
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

  /** Reads an integer element; NaN (and the cursor past the element) for anything else. */
  integer(): number {
    if (this.peek() !== T_INTEGER) {
      this.skip();
      return NaN;
    }
    const end = this.lineEnd();
    const text = this.buf.toString('latin1', this.pos + 1, end);
    this.pos = end + 2;
    return /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  }

  /** Moves past one element (an attribute prefix and the element it prefixes count as one). */
  skip(): void {
    const type = this.peek();
    if (type === T_BULK || type === T_BULK_ERROR || type === T_VERBATIM) {
      const n = this.header();
      if (n >= 0) this.pos += n + 2;
      return;
    }
    if (type === 0x2a || type === T_MAP || type === 0x7e || type === 0x3e || type === T_ATTRIBUTE) {
      const count = this.aggregateCount();
      for (let i = 0; i < count; i++) this.skip();
      if (type === T_ATTRIBUTE) this.skip();
      return;
    }
    this.pos = this.lineEnd() + 2;
  }

  private lineEnd(): number {
    const cr = this.buf.indexOf(0x0d, this.pos);
    if (cr < 0) throw new ProtocolError('ERR_BAD_TERMINATOR', 'line not ended by CRLF');
    return cr;
  }
}
