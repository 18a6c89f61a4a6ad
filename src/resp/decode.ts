import { DEFAULT_MAX_DEPTH, ProtocolError } from './errors.js';
import {
  CR,
  LF,
  T_ARRAY,
  T_ATTRIBUTE,
  T_INTEGER,
  T_MAP,
  T_NULL,
  isAggregate,
  isBulkType,
  parseInteger,
} from './types.js';

/**
 * One decoded RESP element, described by offsets into the buffer it came from, so that a rewriter
 * can replace exactly the bytes it changes and keep every other byte as it arrived.
 */
export interface RespNode {
  /** The type byte (`+`, `$`, `*`, `%`, ...). */
  type: number;
  /** Offset of the type byte. An attribute prefix, if any, lies before it. */
  start: number;
  /** Offset just past the element (after its final CRLF, or after its last child). */
  end: number;
  /** Line types: offset after the type byte. Bulk types: first payload byte. Aggregates: first child. */
  valueStart: number;
  /** Line and bulk types: offset of the terminating CR. Aggregates: equal to `end`. */
  valueEnd: number;
  /** Bulk types: payload length (-1 for a null bulk). Aggregates: declared count (-1 for a null array). */
  length: number;
  /** Aggregates: their elements, maps and attributes flattened to key, value, key, value. */
  children: RespNode[] | null;
}

function lineEnd(buf: Buffer, from: number): number {
  const lf = buf.indexOf(LF, from);
  if (lf < 1 || buf[lf - 1] !== CR) throw new ProtocolError('ERR_BAD_TERMINATOR', 'line not ended by CRLF');
  return lf - 1;
}

function parseLength(buf: Buffer, from: number, to: number): number {
  if (to - from === 2 && buf[from] === 0x2d && buf[from + 1] === 0x31) return -1; // -1
  if (to <= from || to - from > 15) throw new ProtocolError('ERR_BAD_LENGTH', 'bad length');
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) throw new ProtocolError('ERR_BAD_LENGTH', 'bad length');
    n = n * 10 + c;
  }
  return n;
}

/**
 * Decodes the single complete element that starts at `start`. Intended for frames the scanner has
 * already delimited; it still validates what it reads and throws only `ProtocolError`.
 */
export function decode(buf: Buffer, start = 0, maxDepth = DEFAULT_MAX_DEPTH): RespNode {
  return decodeAt(buf, start, 0, maxDepth);
}

function decodeAt(buf: Buffer, start: number, depth: number, maxDepth: number): RespNode {
  if (start >= buf.length) throw new ProtocolError('ERR_BAD_LENGTH', 'frame ends early');
  const type = buf[start];
  const cr = lineEnd(buf, start + 1);
  if (isBulkType(type)) {
    const n = parseLength(buf, start + 1, cr);
    if (n < 0)
      return { type, start, end: cr + 2, valueStart: cr + 2, valueEnd: cr + 2, length: -1, children: null };
    const valueStart = cr + 2;
    const valueEnd = valueStart + n;
    if (valueEnd + 2 > buf.length || buf[valueEnd] !== CR || buf[valueEnd + 1] !== LF) {
      throw new ProtocolError('ERR_BAD_TERMINATOR', 'bulk payload not followed by CRLF');
    }
    return { type, start, end: valueEnd + 2, valueStart, valueEnd, length: n, children: null };
  }
  if (isAggregate(type)) {
    if (depth >= maxDepth) throw new ProtocolError('ERR_TOO_DEEP', 'aggregates nested too deeply');
    const n = parseLength(buf, start + 1, cr);
    const count = n < 0 ? 0 : type === T_MAP || type === T_ATTRIBUTE ? n * 2 : n;
    const children: RespNode[] = [];
    let p = cr + 2;
    while (children.length < count) {
      let child = decodeAt(buf, p, depth + 1, maxDepth);
      // An attribute prefixes the element after it and is not an element itself.
      while (child.type === T_ATTRIBUTE) child = decodeAt(buf, child.end, depth + 1, maxDepth);
      children.push(child);
      p = child.end;
    }
    return { type, start, end: p, valueStart: cr + 2, valueEnd: p, length: n, children };
  }
  return {
    type,
    start,
    end: cr + 2,
    valueStart: start + 1,
    valueEnd: cr,
    length: cr - start - 1,
    children: null,
  };
}

/** The payload of a string-like element as latin1 text (one char per byte, so lengths match). */
export function text(buf: Buffer, node: RespNode): string {
  return buf.toString('latin1', node.valueStart, node.valueEnd);
}

/** True for `$-1`, `*-1` and RESP3 `_`. */
export function isNull(node: RespNode): boolean {
  return node.type === T_NULL || node.length === -1;
}

/** The value of an integer element, or NaN when the element is not a well-formed integer. */
export function integer(buf: Buffer, node: RespNode): number {
  return node.type === T_INTEGER ? parseInteger(buf, node.valueStart, node.valueEnd) : NaN;
}

/** Reads a map element (`%` RESP3, or a RESP2 flat array of even length) as key → child pairs. */
export function mapEntries(buf: Buffer, node: RespNode): Array<[string, RespNode, number]> | null {
  if (!node.children || (node.type !== T_MAP && node.type !== T_ARRAY)) return null;
  if (node.children.length % 2 !== 0) return null;
  const out: Array<[string, RespNode, number]> = [];
  for (let i = 0; i < node.children.length; i += 2) {
    const k = node.children[i];
    if (k.children || isNull(k)) return null;
    out.push([text(buf, k), node.children[i + 1], i]);
  }
  return out;
}
