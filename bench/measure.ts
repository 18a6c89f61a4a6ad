/** What the benchmarks share: the median, and one timed conversation on a fresh connection. */
import type * as net from 'node:net';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Opens a connection, sends `hello`, and resolves with the milliseconds until the reply ends with
 * `expect` (the connection is then closed).
 */
export function timedConversation(
  open: () => net.Socket,
  hello: string | Buffer,
  expect: string,
  timeoutMs = 20_000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const s = open();
    let got = '';
    s.setTimeout(timeoutMs, () => s.destroy(new Error('timeout')));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith(expect)) {
        s.destroy();
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      }
    });
    s.on('error', reject);
    s.write(hello);
  });
}
