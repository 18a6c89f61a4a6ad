/**
 * One shared connection carrying both kinds of waiter: smart mode's whole-frame handlers and
 * pinned mode's span handlers, in one FIFO. The node is a fake (named so): a loopback TCP server
 * that answers every request line with a scripted reply, written in pieces cut at awkward places,
 * so frames and spans cross reads.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connector } from '../../src/net/connector.js';
import { TunnelStats } from '../../src/net/stats.js';
import { GONE_REPLY, type ReplyHandler } from '../../src/upstream/reply-waiters.js';
import { Upstream } from '../../src/upstream/upstream.js';
import type { NodeEntry } from '../../src/topology/node-table.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A fake node: once `expect` request lines are in, it writes `reply` in pieces of `piece` bytes. */
async function fakeNode(expect: number, reply: string, piece: number): Promise<number> {
  const server = net.createServer((s) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.split('\r\n').length - 1 < expect) return;
      for (let i = 0; i < reply.length; i += piece) s.write(reply.slice(i, i + piece));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

function upstreamTo(port: number): Upstream {
  const connector = {
    open: async () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      await new Promise((r) => socket.once('connect', r));
      socket.pause();
      return { socket, pending: null, reads: null };
    },
  } as unknown as Connector;
  // A node id too: the connection counts its requests and latency per node.
  const entry = {
    node: { id: 'node-under-test', role: 'master' },
    target: { host: '127.0.0.1', port, label: `127.0.0.1:${port}`, tlsName: '127.0.0.1' },
  };
  return new Upstream(
    entry as unknown as NodeEntry,
    { connector, auth: () => null, stats: new TunnelStats() },
    2,
    () => {},
    () => {},
  );
}

describe('a shared connection with frame and span waiters', () => {
  for (const piece of [1, 3, 7, 1000]) {
    it(`each waiter gets exactly its replies, in order (node writes ${piece}-byte pieces)`, async () => {
      const replies = ['+A\r\n', '$3\r\nbbb\r\n', '*2\r\n:1\r\n$-1\r\n', '-ERR c\r\n', '$1\r\nd\r\n'];
      const port = await fakeNode(5, replies.join(''), piece);
      const u = upstreamTo(port);
      const frames: string[] = [];
      let spans = '';
      let spanFrames = 0;
      const frameEnds: number[] = [];
      let last = '';
      const done = new Promise<void>((resolve) => {
        u.send(Buffer.from('A\r\n'), (f) => frames.push(f?.toString('latin1') ?? 'failed'));
        u.sendSpans(Buffer.from('B\r\nC\r\nD\r\n'), 3, (span, n, _failure, ends) => {
          // Where the connection's scan found each frame's end, as offsets in all the spans so far.
          for (let i = 0; i < (ends?.count ?? 0); i++) frameEnds.push(spans.length + (ends?.ends[i] ?? 0));
          spans += span?.toString('latin1') ?? 'failed';
          spanFrames += n;
        });
        u.send(Buffer.from('E\r\n'), (f) => {
          last = f?.toString('latin1') ?? 'failed';
          resolve();
        });
      });
      await done;
      u.close();
      expect(frames).toEqual(['+A\r\n']);
      expect(spans).toBe(replies.slice(1, 4).join(''));
      expect(spanFrames).toBe(3);
      // Each span says where its frames end, so its reader need not scan it again: 9, 22, 30.
      expect(frameEnds).toEqual([9, 22, 30]);
      expect(last).toBe('$1\r\nd\r\n');
    });
  }

  it('a connection that breaks fails every waiter with the reason: spans once, with what was due', async () => {
    const port = await fakeNode(1, '+A\r\n$5\r\nhal', 1000);
    const u = upstreamTo(port);
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      u.sendSpans(Buffer.from('A\r\nB\r\nC\r\n'), 3, (span, n, failure) => {
        seen.push(span ? `span ${JSON.stringify(span.toString('latin1'))} ${n}` : `failed ${n}: ${failure}`);
        if (!span) resolve();
      });
      setTimeout(() => u.close(), 200);
    });
    expect(seen[0]).toBe('span "+A\\r\\n$5\\r\\nhal" 1');
    expect(seen.at(-1)).toBe('failed 2: closed');
  });
});

describe('replies whose requester is gone', () => {
  for (const piece of [1, 5, 1000]) {
    it(`are skipped, not joined; the handler gets GONE_REPLY and later waiters their own (${piece}-byte pieces)`, async () => {
      const big = 'x'.repeat(3000);
      const wire = `+A\r\n$${big.length}\r\n${big}\r\n*2\r\n$1\r\nb\r\n$1\r\nc\r\n+D\r\n`;
      const port = await fakeNode(4, wire, piece);
      const u = upstreamTo(port);
      let gone = false;
      const got: string[] = [];
      const record = (f: Buffer | null): void => {
        got.push(f?.toString('latin1') ?? 'failed');
      };
      // Gone once the first reply is in: the next two replies are nobody's.
      const first: ReplyHandler = (f) => {
        record(f);
        gone = true;
      };
      const left: ReplyHandler = (f) => record(f);
      left.gone = () => gone;
      await new Promise<void>((resolve) => {
        u.send(Buffer.from('A\r\n'), first);
        u.send(Buffer.from('B\r\n'), left);
        u.send(Buffer.from('C\r\n'), left);
        u.send(Buffer.from('D\r\n'), (f) => {
          record(f);
          resolve();
        });
      });
      u.close();
      expect(got).toEqual(['+A\r\n', GONE_REPLY.toString(), GONE_REPLY.toString(), '+D\r\n']);
    });
  }
});

describe('pushes and attributes on a shared connection (RESP3)', () => {
  // An invalidation push, as a node sends one to a connection another client named in REDIRECT.
  const PUSH = '>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n';
  const ATTR = '|1\r\n+key-popularity\r\n:7\r\n';
  for (const piece of [1, 3, 7, 1000]) {
    it(`a push is nobody's reply and an attribute goes with the reply after it (${piece}-byte pieces)`, async () => {
      const wire = `${PUSH}+A\r\n${PUSH}${ATTR}$1\r\nb\r\n${PUSH}:3\r\n${ATTR}+D\r\n${PUSH}${ATTR}+E\r\n`;
      const port = await fakeNode(5, wire, piece);
      const u = upstreamTo(port);
      let spans = '';
      let spanFrames = 0;
      const frames: string[] = [];
      await new Promise<void>((resolve) => {
        u.sendSpans(Buffer.from('A\r\nB\r\nC\r\n'), 3, (span, n) => {
          spans += span?.toString('latin1') ?? 'failed';
          spanFrames += n;
        });
        u.send(Buffer.from('D\r\n'), (f) => frames.push(f?.toString('latin1') ?? 'failed'));
        u.send(Buffer.from('E\r\n'), (f) => {
          frames.push(f?.toString('latin1') ?? 'failed');
          resolve();
        });
      });
      u.close();
      expect(spans).toBe(`+A\r\n${ATTR}$1\r\nb\r\n:3\r\n`);
      expect(spanFrames).toBe(3);
      expect(frames).toEqual([`${ATTR}+D\r\n`, `${ATTR}+E\r\n`]);
    });
  }
});

describe('a retired shared connection (its node left or moved)', () => {
  it('answers what was waiting on it, takes nothing new, then closes', async () => {
    const port = await fakeNode(2, '+ONE\r\n+TWO\r\n', 3);
    const u = upstreamTo(port);
    const got: string[] = [];
    const answered = new Promise<void>((resolve) => {
      u.sendSpans(Buffer.from('A\r\nB\r\n'), 2, (span) => {
        got.push(span?.toString('latin1') ?? 'failed');
        if (got.join('') === '+ONE\r\n+TWO\r\n') resolve();
      });
    });
    u.retire();
    expect(u.broken).toBe(false);
    await answered;
    expect(got.join('')).toBe('+ONE\r\n+TWO\r\n');
    expect(u.broken).toBe(true);
    let refused = '';
    u.send(Buffer.from('C\r\n'), (f, why) => (refused = f ? 'answered' : (why ?? '')));
    expect(refused).toBe('closed');
  });

  it('with nothing waiting, closes at once', () => {
    const u = upstreamTo(1);
    u.retire();
    expect(u.broken).toBe(true);
  });
});

describe('writes to the node', () => {
  it('requests of one turn leave in one write, the first one too when the connection was idle', async () => {
    // A fake node that answers +OK to every request line.
    const server = net.createServer((s) =>
      s.on('data', (d: Buffer) => s.write('+OK\r\n'.repeat(d.toString('latin1').split('\r\n').length - 1))),
    );
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const u = upstreamTo((server.address() as net.AddressInfo).port);
    const ask = (line: string): Promise<string> =>
      new Promise((r) => u.send(Buffer.from(`${line}\r\n`), (f) => r(f?.toString('latin1') ?? 'failed')));
    expect(await ask('OPEN')).toBe('+OK\r\n');
    const socket = (u as unknown as { socket: net.Socket }).socket;
    const writes: string[] = [];
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Buffer) => (
      writes.push(chunk.toString('latin1')),
      write(chunk)
    )) as typeof socket.write;
    // Nothing waits on the connection now: the first request finds it idle.
    const replies = await Promise.all([ask('A'), ask('B'), ask('C')]);
    expect(replies).toEqual(['+OK\r\n', '+OK\r\n', '+OK\r\n']);
    expect(writes).toEqual(['A\r\nB\r\nC\r\n']);
    u.close();
  });
});
