const LF = 0x0a;
const DOLLAR = 0x24;

/**
 * Argument `index` of one whole multibulk request in `buf[start, end)`, as a view of it; null when
 * the request has fewer arguments or is not a plain multibulk (an inline command). It trusts that
 * a parser already read the request as valid: it only walks the lengths.
 */
export function requestArgument(buf: Buffer, start: number, end: number, index: number): Buffer | null {
  let p = buf.indexOf(LF, start) + 1; // past *<count>\r\n
  if (p <= 0 || p >= end) return null;
  for (let i = 0; p < end; i++) {
    if (buf[p] !== DOLLAR) return null;
    let length = 0;
    let q = p + 1;
    for (; q < end && buf[q] >= 0x30 && buf[q] <= 0x39; q++) length = length * 10 + (buf[q] - 0x30);
    const body = q + 2; // past \r\n
    if (body + length > end) return null;
    if (i === index) return buf.subarray(body, body + length);
    p = body + length + 2;
  }
  return null;
}
