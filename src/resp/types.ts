/** RESP2/RESP3 type bytes, and the few byte-level facts every reader of frames shares. */

export const T_SIMPLE = 0x2b; // +
export const T_ERROR = 0x2d; // -
export const T_INTEGER = 0x3a; // :
export const T_BULK = 0x24; // $
export const T_ARRAY = 0x2a; // *
export const T_NULL = 0x5f; // _
export const T_BOOLEAN = 0x23; // #
export const T_DOUBLE = 0x2c; // ,
export const T_BIGNUM = 0x28; // (
export const T_BULK_ERROR = 0x21; // !
export const T_VERBATIM = 0x3d; // =
export const T_MAP = 0x25; // %
export const T_SET = 0x7e; // ~
export const T_ATTRIBUTE = 0x7c; // |
export const T_PUSH = 0x3e; // >

export const CR = 0x0d;
export const LF = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;

/** Types whose body is a list of elements (maps and attributes count keys and values). */
export function isAggregate(type: number): boolean {
  return type === T_ARRAY || type === T_MAP || type === T_SET || type === T_PUSH || type === T_ATTRIBUTE;
}

/** Types that carry a length-prefixed payload. */
export function isBulkType(type: number): boolean {
  return type === T_BULK || type === T_BULK_ERROR || type === T_VERBATIM;
}

/** True for the two error types. */
export function isErrorType(type: number): boolean {
  return type === T_ERROR || type === T_BULK_ERROR;
}

/** Longest integer accepted: 16 digits stay exact in a double, and no port, slot or count is longer. */
const MAX_INTEGER_DIGITS = 16;

/**
 * The value of an integer reply's text `buf[from, to)`: an optional `-` and 1 to 16 digits, as a
 * server writes them. NaN for anything else. The one rule for every reader of `:` elements.
 */
export function parseInteger(buf: Buffer, from: number, to: number): number {
  let i = from;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  if (i >= to || to - i > MAX_INTEGER_DIGITS) return NaN;
  let n = 0;
  for (; i < to; i++) {
    const c = buf[i] - ZERO;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return negative ? -n : n;
}

/** True when `buf[start, end)` holds exactly the ASCII text `s` (for short fixed replies like +OK). */
export function equalsAscii(buf: Buffer, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[start + i] !== s.charCodeAt(i)) return false;
  return true;
}
