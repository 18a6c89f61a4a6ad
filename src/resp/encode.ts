/** Small RESP encoders and a splicer that rebuilds a frame from its original bytes plus edits. */

/** Replace `src[start, end)` by `bytes`. Edits given to `applyEdits` must not overlap. */
export interface Edit {
  start: number;
  end: number;
  bytes: Buffer;
}

export function bulkString(value: string): Buffer {
  return Buffer.from(`$${Buffer.byteLength(value, 'latin1')}\r\n${value}\r\n`, 'latin1');
}

export function integerReply(value: number): Buffer {
  return Buffer.from(`:${value}\r\n`, 'latin1');
}

export function aggregateHeader(type: number, count: number): Buffer {
  return Buffer.from(`${String.fromCharCode(type)}${count}\r\n`, 'latin1');
}

/** A request as a RESP array of bulk strings. */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const bytes = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

const CRLF = Buffer.from('\r\n');

export function errorReply(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}\r\n`, 'latin1');
}

/**
 * What a node answers a request it cannot read, in its own words (the parser's messages are the
 * node's: test/e2e/refused-lengths.test.ts compares them), before it closes the connection.
 */
export function protocolErrorReply(e: { message: string }): Buffer {
  return errorReply(`ERR Protocol error: ${e.message}`);
}

/**
 * Copies `src[from, to)` with `edits` applied. Untouched ranges are copied as they are, so a
 * rewritten frame differs from the original only where an edit says so.
 */
export function applyEdits(src: Buffer, edits: Edit[], from = 0, to = src.length): Buffer {
  if (edits.length === 0) return src.subarray(from, to);
  let sorted = edits;
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].start < edits[i - 1].start) {
      sorted = edits.slice().sort((a, b) => a.start - b.start);
      break;
    }
  }
  let size = to - from;
  let pos = from;
  for (const e of sorted) {
    if (e.start < pos || e.end < e.start || e.end > to)
      throw new RangeError('overlapping or out-of-range edit');
    size += e.bytes.length - (e.end - e.start);
    pos = e.end;
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  pos = from;
  for (const e of sorted) {
    o += src.copy(out, o, pos, e.start);
    o += e.bytes.copy(out, o);
    pos = e.end;
  }
  src.copy(out, o, pos, to);
  return out;
}
