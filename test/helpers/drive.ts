/**
 * Drives an incremental framer (`next(buf, pos)` returning the end of a completed unit or -1) over
 * chunks, calling `onUnit` with each unit's reassembled bytes; returns bytes left over unfinished.
 */
export function drive(
  next: (buf: Buffer, pos: number) => number,
  chunks: Buffer[],
  onUnit: (bytes: string) => void,
): string {
  let pending = '';
  for (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const end = next(chunk, pos);
      if (end < 0) {
        pending += chunk.toString('latin1', pos);
        break;
      }
      onUnit(pending + chunk.toString('latin1', pos, end));
      pending = '';
      pos = end;
    }
  }
  return pending;
}
