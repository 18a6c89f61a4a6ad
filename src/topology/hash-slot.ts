/** Redis Cluster key → slot: CRC16 (XMODEM) of the key, or of its first non-empty {hash tag}, mod 16384. */

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/** The CRC after one more byte. */
function crcStep(crc: number, byte: number): number {
  return ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff];
}

export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = crcStep(crc, data[i]);
  return crc;
}

export function hashSlot(key: string | Buffer): number {
  const buf = typeof key === 'string' ? Buffer.from(key) : key;
  return hashSlotAt(buf, 0, buf.length);
}

/** The slot of the key at `buf[start, end)`, read in place (a request's bytes: nothing is made). */
export function hashSlotAt(buf: Uint8Array, start: number, end: number): number {
  // One pass for the common key, which has no `{`: the CRC is taken while looking for one.
  let crc = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === 0x7b) return taggedSlot(buf, start, i, end); // {
    crc = crcStep(crc, c);
  }
  return crc & 16383;
}

/**
 * The slot of a key whose first `{` is at `open`: its tag's, or the whole key's when no `}`
 * follows or the tag is empty.
 */
function taggedSlot(buf: Uint8Array, start: number, open: number, end: number): number {
  let close = open + 1;
  while (close < end && buf[close] !== 0x7d) close++; // }
  return (close < end && close > open + 1 ? crc16(buf, open + 1, close) : crc16(buf, start, end)) & 16383;
}

/** A key (`prefix` plus a counter) that hashes to `slot`; found by search, bounded. */
export function keyForSlot(slot: number, prefix = 'k'): string {
  for (let i = 0; i < 2_000_000; i++) {
    const key = `${prefix}${i}`;
    if (hashSlot(key) === slot) return key;
  }
  throw new Error(`no key found for slot ${slot}`);
}
