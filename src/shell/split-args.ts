/**
 * A command line split into arguments as redis-cli splits it: blanks separate words; "double
 * quotes" take the escapes \n \r \t \b \a \xHH and \<any> for that character; 'single quotes'
 * take only \'; a closing quote must end the word. Returns null for a line it cannot split
 * (unbalanced quotes), which redis-cli answers with "Invalid argument(s)".
 *
 * Arguments are bytes: \xHH makes one byte, and other characters are their UTF-8 bytes.
 */
export function splitArgs(line: string): Buffer[] | null {
  const bytes = Buffer.from(line, 'utf8');
  const out: Buffer[] = [];
  let p = 0;
  const blank = (c: number | undefined): boolean => c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
  while (true) {
    while (p < bytes.length && blank(bytes[p])) p++;
    if (p >= bytes.length) return out;
    const word: number[] = [];
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const c = bytes[p];
      if (inDouble) {
        if (c === undefined) return null;
        if (c === 0x5c && bytes[p + 1] === 0x78 && isHex(bytes[p + 2]) && isHex(bytes[p + 3])) {
          word.push(parseInt(String.fromCharCode(bytes[p + 2], bytes[p + 3]), 16));
          p += 4;
          continue;
        }
        if (c === 0x5c && p + 1 < bytes.length) {
          word.push(ESCAPES[bytes[p + 1]] ?? bytes[p + 1]);
          p += 2;
          continue;
        }
        if (c === 0x22) {
          if (p + 1 < bytes.length && !blank(bytes[p + 1])) return null;
          p++;
          break;
        }
        word.push(c);
        p++;
      } else if (inSingle) {
        if (c === undefined) return null;
        if (c === 0x5c && bytes[p + 1] === 0x27) {
          word.push(0x27);
          p += 2;
          continue;
        }
        if (c === 0x27) {
          if (p + 1 < bytes.length && !blank(bytes[p + 1])) return null;
          p++;
          break;
        }
        word.push(c);
        p++;
      } else {
        if (c === undefined || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
        if (c === 0x22) inDouble = true;
        else if (c === 0x27) inSingle = true;
        else word.push(c);
        p++;
      }
    }
    out.push(Buffer.from(word));
  }
}

/** \n \r \t \b \a inside double quotes, by the letter's byte. */
const ESCAPES: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07 };

function isHex(c: number | undefined): boolean {
  return (
    c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))
  );
}
