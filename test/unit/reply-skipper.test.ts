/** The replies the tunnel's own requests get, dropped ahead of the client's, however they are split. */
import { describe, expect, it } from 'vitest';
import { ReplySkipper } from '../../src/resp/reply-skipper.js';

describe('ReplySkipper', () => {
  const stream = '+OK\r\n-ERR unknown subcommand\r\n*2\r\n$1\r\na\r\n:1\r\n$5\r\nmine!\r\n';

  it('drops the first replies and passes on the rest, at every split of the stream', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const skip = new ReplySkipper(3);
      const out = [stream.slice(0, cut), stream.slice(cut)].map((part) =>
        skip.push(Buffer.from(part)).toString(),
      );
      expect(out.join(''), `cut at ${cut}`).toBe('$5\r\nmine!\r\n');
      expect(skip.done).toBe(true);
    }
  });

  it('byte by byte, it is done exactly when the last dropped reply ends', () => {
    const skip = new ReplySkipper(2);
    const dropped = '+OK\r\n-ERR unknown subcommand\r\n';
    for (const byte of dropped.slice(0, -1)) {
      expect(skip.push(Buffer.from(byte)).length).toBe(0);
      expect(skip.done).toBe(false);
    }
    expect(skip.push(Buffer.from('\n')).length).toBe(0);
    expect(skip.done).toBe(true);
    expect(skip.push(Buffer.from('+PONG\r\n')).toString()).toBe('+PONG\r\n');
  });
});
