import { SingleBar } from 'cli-progress';
import type { FillProgress, FillReport } from './fill.js';

const MiB = 2 ** 20;

/** Plain progress lines (no terminal, e.g. in CI) at most this often. */
const LINE_INTERVAL_MS = 2000;

export interface ProgressView {
  update: FillProgress;
  stop(): void;
}

/**
 * A progress bar on a terminal (cli-progress), plain lines elsewhere: a CI log gets a line every
 * two seconds instead of a bar redrawn in place.
 */
export function progressView(stream: NodeJS.WriteStream, started = Date.now()): ProgressView {
  const rate = (bytes: number): string =>
    (bytes / MiB / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(1);
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format:
        'fill [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB | {keys} keys | {rate} MiB/s | ETA {eta}s',
      hideCursor: true,
    });
    let begun = false;
    return {
      update(done, total) {
        const payload = {
          doneMiB: (done.bytes / MiB).toFixed(0),
          totalMiB: (total.bytes / MiB).toFixed(0),
          keys: done.keys.toLocaleString('en-US'),
          rate: rate(done.bytes),
        };
        if (!begun) {
          bar.start(total.bytes, done.bytes, payload);
          begun = true;
        } else bar.update(done.bytes, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < LINE_INTERVAL_MS && done.bytes < total.bytes) return;
      last = now;
      const pct = ((100 * done.bytes) / Math.max(total.bytes, 1)).toFixed(0);
      stream.write(
        `fill: ${pct}% ${(done.bytes / MiB).toFixed(0)} of ${(total.bytes / MiB).toFixed(0)} MiB, ${done.keys.toLocaleString('en-US')} keys, ${rate(done.bytes)} MiB/s\n`,
      );
    },
    stop: () => undefined,
  };
}

/** The closing summary: keys and bytes per master, the totals and the rate. */
export function fillSummary(r: FillReport): string {
  const keys = r.masters.reduce((n, m) => n + m.keys, 0);
  const bytes = r.masters.reduce((n, m) => n + m.bytes, 0);
  const rows = r.masters.map(
    (m) =>
      `  ${m.node.padEnd(24)} ${String(m.slots).padStart(5)} slots  ${m.keys.toLocaleString('en-US').padStart(12)} keys  ${(m.bytes / MiB).toFixed(1).padStart(10)} MiB`,
  );
  const secs = Math.max(r.seconds, 0.001);
  return [
    'fill: done',
    ...rows,
    `  total: ${keys.toLocaleString('en-US')} keys, ${(bytes / MiB).toFixed(1)} MiB in ${r.seconds.toFixed(1)} s: ` +
      `${(bytes / MiB / secs).toFixed(1)} MiB/s, ${Math.round(keys / secs).toLocaleString('en-US')} SET/s`,
  ].join('\n');
}
