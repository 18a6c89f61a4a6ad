/** Ways of cutting one byte string into chunks: whole, byte by byte, and in two at every offset. */
export function* splits(data: Buffer): Generator<{ name: string; chunks: Buffer[] }> {
  yield { name: 'whole', chunks: [data] };
  if (data.length > 1) {
    yield {
      name: 'byte by byte',
      chunks: Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1)),
    };
  }
  for (let cut = 1; cut < data.length; cut++) {
    yield { name: `split at ${cut}`, chunks: [data.subarray(0, cut), data.subarray(cut)] };
  }
}

/** Copies every chunk so a test cannot pass by aliasing one shared buffer. */
export function copyChunks(chunks: Buffer[]): Buffer[] {
  return chunks.map((c) => Buffer.from(c));
}
