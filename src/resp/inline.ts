import { MAX_INLINE_BYTES, ProtocolError } from './errors.js';

/**
 * Splits an inline command line the way the server does (sds `sdssplitargs`): words separated by
 * blanks; double quotes with \n \r \t \b \a \\ \" and \xHH escapes; single quotes with \' only;
 * a closing quote must be followed by a blank or the end of the line.
 */
export function splitInline(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    if (i >= n) return args;
    let current = '';
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      if (inDouble) {
        if (i >= n) throw unbalanced();
        const c = line[i];
        if (c === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          current += unescape(line[i]);
        } else if (c === '"') {
          if (i + 1 < n && !isBlank(line.charCodeAt(i + 1))) throw unbalanced();
          i++;
          break;
        } else {
          current += c;
        }
        i++;
      } else if (inSingle) {
        if (i >= n) throw unbalanced();
        const c = line[i];
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isBlank(line.charCodeAt(i + 1))) throw unbalanced();
          i++;
          break;
        } else {
          current += c;
        }
        i++;
      } else {
        if (i >= n) break;
        const c = line[i];
        if (isBlank(c.charCodeAt(0))) break;
        if (c === '"') inDouble = true;
        else if (c === "'") inSingle = true;
        else current += c;
        i++;
      }
    }
    args.push(current);
  }
}

function unbalanced(): ProtocolError {
  return new ProtocolError('ERR_UNBALANCED_QUOTES', 'unbalanced quotes in request');
}

function isBlank(c: number): boolean {
  // space, \n, \r, \t, \0 (what isspace() and the sds splitter treat as separators)
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x00;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

function unescape(c: string): string {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\x07';
    default:
      return c;
  }
}

const LF = 0x0a;

/**
 * One inline command line as it arrives, in pieces: up to its LF, at most MAX_INLINE_BYTES. A piece
 * of a line that goes on in the next chunk is copied, since a chunk may be lent (see SocketReads).
 */
export class InlineLine {
  private parts: Buffer[] = [];
  private bytes = 0;

  /** Takes the line's bytes in `buf` from `p`: the offset past its LF, or -1 when it goes on. */
  read(buf: Buffer, p: number): number {
    const lf = buf.indexOf(LF, p);
    const end = lf < 0 ? buf.length : lf + 1;
    this.parts.push(lf < 0 ? Buffer.from(buf.subarray(p, end)) : buf.subarray(p, end));
    this.bytes += end - p;
    if (this.bytes > MAX_INLINE_BYTES)
      throw new ProtocolError('ERR_FRAME_TOO_LARGE', 'too big inline request');
    return lf < 0 ? -1 : end;
  }

  /** The line's words as a node splits them (see splitInline); the line is then done with. */
  words(): string[] {
    const raw = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes);
    this.clear();
    return splitInline(raw.toString('latin1'));
  }

  clear(): void {
    this.parts = [];
    this.bytes = 0;
  }
}
