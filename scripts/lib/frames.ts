/**
 * A minimal recursive RESP splitter for capture scripts and tests: where does the frame at `pos`
 * end, and where do an aggregate's elements lie? Written separately from src/ on purpose, so
 * fixtures and expectations do not depend on the code they check. Assumes well-formed input.
 */
export function frameEnd(buf: Buffer, pos: number): number {
  const type = String.fromCharCode(buf[pos]);
  const lf = buf.indexOf('\r\n', pos, 'latin1');
  const head = buf.toString('latin1', pos + 1, lf);
  let p = lf + 2;
  if ('$!='.includes(type)) return Number(head) < 0 ? p : p + Number(head) + 2;
  if ('*~>%|'.includes(type)) {
    const n = Number(head) < 0 ? 0 : '%|'.includes(type) ? Number(head) * 2 : Number(head);
    for (let i = 0; i < n; i++) {
      // attributes prefix an element without being one
      while (buf[p] === 0x7c) p = frameEnd(buf, p);
      p = frameEnd(buf, p);
    }
    return p;
  }
  return p;
}

/** Top-level frames of a byte stream. */
export function splitFrames(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < buf.length;) {
    const e = frameEnd(buf, p);
    out.push(buf.subarray(p, e));
    p = e;
  }
  return out;
}

/** An aggregate frame's header line and its elements. */
export function splitAggregate(frame: Buffer): { header: Buffer; elements: Buffer[] } {
  const lf = frame.indexOf('\r\n', 0, 'latin1') + 2;
  const elements: Buffer[] = [];
  for (let p = lf; p < frame.length;) {
    const e = frameEnd(frame, p);
    elements.push(frame.subarray(p, e));
    p = e;
  }
  return { header: frame.subarray(0, lf), elements };
}
