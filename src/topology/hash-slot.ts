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

export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ data[i]) & 0xff];
  return crc;
}

export function hashSlot(key: string | Buffer): number {
  const buf = typeof key === 'string' ? Buffer.from(key) : key;
  return hashSlotAt(buf, 0, buf.length);
}

/** The slot of the key at `buf[start, end)`, read in place (a request's bytes: nothing is made). */
export function hashSlotAt(buf: Uint8Array, start: number, end: number): number {
  let open = -1;
  for (let i = start; i < end; i++)
    if (buf[i] === 0x7b) {
      open = i; // {
      break;
    }
  if (open >= 0) {
    let close = -1;
    for (let i = open + 1; i < end; i++)
      if (buf[i] === 0x7d) {
        close = i; // }
        break;
      }
    if (close > open + 1) return crc16(buf, open + 1, close) & 16383;
  }
  return crc16(buf, start, end) & 16383;
}

/** A key (`prefix` plus a counter) that hashes to `slot`; found by search, bounded. */
export function keyForSlot(slot: number, prefix = 'k'): string {
  for (let i = 0; i < 2_000_000; i++) {
    const key = `${prefix}${i}`;
    if (hashSlot(key) === slot) return key;
  }
  throw new Error(`no key found for slot ${slot}`);
}
