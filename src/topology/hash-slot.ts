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

export function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc;
}

export function hashSlot(key: string | Buffer): number {
  const buf = typeof key === 'string' ? Buffer.from(key) : key;
  const open = buf.indexOf(0x7b); // {
  if (open >= 0) {
    const close = buf.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(buf.subarray(open + 1, close)) & 16383;
  }
  return crc16(buf) & 16383;
}

/** A key (`prefix` plus a counter) that hashes to `slot`; found by search, bounded. */
export function keyForSlot(slot: number, prefix = 'k'): string {
  for (let i = 0; i < 2_000_000; i++) {
    const key = `${prefix}${i}`;
    if (hashSlot(key) === slot) return key;
  }
  throw new Error(`no key found for slot ${slot}`);
}
