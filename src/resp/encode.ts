/** Small RESP encoders and a splicer that rebuilds a frame from its original bytes plus edits. */

/** Replace `src[start, end)` by `bytes`. Edits given to `applyEdits` must not overlap. */
export interface Edit {
  start: number;
  end: number;
  bytes: Buffer;
}

export function bulkString(value: string): Buffer {
  const body = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from(`$${body.length}\r\n`, 'latin1'), body, Buffer.from('\r\n', 'latin1')]);
}

export function integerReply(value: number): Buffer {
  return Buffer.from(`:${value}\r\n`, 'latin1');
}

export function aggregateHeader(type: number, count: number): Buffer {
  return Buffer.from(`${String.fromCharCode(type)}${count}\r\n`, 'latin1');
}

export function errorReply(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}\r\n`, 'latin1');
}

/**
 * Copies `src[from, to)` with `edits` applied. Untouched ranges are copied as they are, so a
 * rewritten frame differs from the original only where an edit says so.
 */
export function applyEdits(src: Buffer, edits: Edit[], from = 0, to = src.length): Buffer {
  if (edits.length === 0) return src.subarray(from, to);
  const sorted = edits.slice().sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let pos = from;
  for (const e of sorted) {
    if (e.start < pos || e.end < e.start || e.end > to) throw new RangeError('overlapping or out-of-range edit');
    if (e.start > pos) parts.push(src.subarray(pos, e.start));
    if (e.bytes.length > 0) parts.push(e.bytes);
    pos = e.end;
  }
  if (pos < to) parts.push(src.subarray(pos, to));
  return Buffer.concat(parts);
}
