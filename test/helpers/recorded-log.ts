import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';

/** A logger at `warn` whose lines a test reads back, one entry per line. */
export function recordedLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _e, done) => {
      lines.push(chunk.toString().trim());
      done();
    },
  });
  return { log: createLogger('warn', 'text', sink), lines };
}
