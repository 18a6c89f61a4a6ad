/**
 * Smart mode's reply queue: replies go to the client in request order whichever node answers
 * first, the ready ones of a pipeline wait one turn (once) for the rest so they leave in one write
 * (the last one's reply goes at once),
 * CLIENT REPLY is kept, and a push waits for the replies pending when it came. The socket is a fake
 * (named so) that records each write.
 */
import type * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ReplyQueue } from '../../src/smart/replies.js';

function harness() {
  const writes: string[] = [];
  let ended = false;
  const socket = {
    write: (b: Buffer) => {
      writes.push(b.toString());
      return true;
    },
    end: () => (ended = true),
    pause: () => {},
  } as unknown as net.Socket;
  const q = new ReplyQueue({ socket, write: (b) => socket.write(b) });
  return { q, writes, ended: () => ended };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('the smart reply queue', () => {
  it('writes replies in request order, in one write when they are ready together', async () => {
    const { q, writes } = harness();
    const [a, b, c] = [q.take(), q.take(), q.take()];
    c(Buffer.from(':3\r\n'));
    a(Buffer.from(':1\r\n'));
    b(Buffer.from(':2\r\n'));
    await turn();
    expect(writes).toEqual([':1\r\n:2\r\n:3\r\n']);
  });

  it('ready replies of a pipeline wait one turn for the rest, once; then what is ready goes', async () => {
    const { q, writes } = harness();
    const [a, b, c] = [q.take(), q.take(), q.take()];
    a(Buffer.from(':1\r\n'));
    await turn();
    expect(writes).toEqual([]);
    b(Buffer.from(':2\r\n'));
    await turn();
    expect(writes).toEqual([':1\r\n:2\r\n']);
    c(Buffer.from(':3\r\n'));
    await turn();
    expect(writes).toEqual([':1\r\n:2\r\n', ':3\r\n']);
  });

  it('a lone request’s reply is written at once, not a turn later', () => {
    const { q, writes } = harness();
    q.take()(Buffer.from('+PONG\r\n'));
    expect(writes).toEqual(['+PONG\r\n']);
  });

  it('the last place answered, with every earlier one ready, is written at once with them', () => {
    const { q, writes } = harness();
    const [a, b] = [q.take(), q.take()];
    a(Buffer.from(':1\r\n'));
    expect(writes).toEqual([]);
    b(Buffer.from(':2\r\n'));
    expect(writes).toEqual([':1\r\n:2\r\n']);
    const batch = q.takeBatch();
    batch.add(Buffer.from(':3\r\n'));
    batch.add(Buffer.from(':4\r\n'));
    expect(writes).toHaveLength(1);
    batch.end();
    expect(writes).toEqual([':1\r\n:2\r\n', ':3\r\n:4\r\n']);
  });

  it('CLIENT REPLY OFF and SKIP drop replies the client turned off; ON is answered', async () => {
    const { q, writes } = harness();
    q.clientReply('skip');
    q.take()(Buffer.from(':1\r\n'));
    q.take()(Buffer.from(':2\r\n'));
    q.clientReply('off');
    q.take()(Buffer.from(':3\r\n'));
    q.clientReply('on');
    q.take()(Buffer.from(':4\r\n'));
    await turn();
    await turn();
    expect(writes.join('')).toBe(':2\r\n+OK\r\n:4\r\n');
  });

  it('a push waits for the replies pending when it came; QUIT ends the connection after its reply', async () => {
    const { q, writes, ended } = harness();
    const a = q.take();
    q.emit(Buffer.from('>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n'));
    await turn();
    await turn();
    expect(writes).toEqual([]);
    a(Buffer.from('$1\r\nv\r\n'));
    q.take(true)(Buffer.from('+OK\r\n'));
    await turn();
    expect(writes.join('')).toBe('$1\r\nv\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n');
    expect(ended()).toBe(true);
  });

  it('a run at the head of the order: small replies wait for its end; 64 KiB of them go before it', async () => {
    const { q, writes } = harness();
    const first = q.take();
    const run = q.takeBatch();
    const after = q.take();
    after(Buffer.from(':9\r\n'));
    run.add(Buffer.from(':2\r\n'));
    first(Buffer.from(':1\r\n'));
    await turn();
    await turn();
    expect(writes).toEqual([':1\r\n']);
    const large = `$${65536 - 9}\r\n${'x'.repeat(65536 - 9)}\r\n`;
    expect(large.length).toBe(65537);
    run.add(Buffer.from(large));
    await turn();
    await turn();
    expect(writes).toEqual([':1\r\n', `:2\r\n${large}`]);
    run.add(Buffer.from(':4\r\n'));
    run.end();
    await turn();
    expect(writes).toEqual([':1\r\n', `:2\r\n${large}`, ':4\r\n:9\r\n']);
  });
});
