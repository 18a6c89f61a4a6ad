/**
 * A reply scanned once: pinned mode's shared connection scans each reply to count it, and hands
 * the client's session the frame ends it found (FrameEnds), so the session's reply pipeline reads
 * boundaries instead of scanning the bytes again. The pairing tests run every conversation both
 * ways (see session-harness); these cover what they do not: that the session's scanner is not
 * used, a reply held while nodes are learned, a nested push, the frame cap, and the record itself.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProtocolError } from '../../src/resp/errors.js';
import { FrameEnds } from '../../src/resp/frame-ends.js';
import { ReplyScanner } from '../../src/resp/reply-scanner.js';
import { fakeLookup } from '../helpers/fake-map.js';
import { bulk, cmd, err, int, push, simple } from '../helpers/resp.js';
import { newSession } from '../helpers/session.js';
import { SLOTS_LOCAL, SLOTS_REMOTE, frameEndsOf } from '../helpers/session-harness.js';

afterEach(() => vi.restoreAllMocks());

/** A session that records what the client gets and the pairing doubts it reports. */
function recorded(extra: Parameters<typeof newSession>[0] = { lookup: fakeLookup }) {
  const out = { toClient: '', uncertain: [] as string[] };
  const session = newSession({
    toServer: () => {},
    toClient: (b) => (out.toClient += b.toString('latin1')),
    onUncertain: (r) => out.uncertain.push(r),
    ...extra,
  });
  return { session, out };
}

/** `text` cut at `cuts`, each piece with its frame ends. */
function pieces(text: string, cuts: number[]): Array<[Buffer, FrameEnds]> {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, text.length]) {
    chunks.push(Buffer.from(text.slice(from, at), 'latin1'));
    from = at;
  }
  const ends = frameEndsOf(chunks) as FrameEnds[];
  return chunks.map((c, i) => [c, ends[i]]);
}

describe('replies with their frame ends', () => {
  it('are not scanned again by the session, and come out as when it scans them', () => {
    const requests = cmd('GET', 'a') + cmd('CLUSTER', 'SLOTS') + cmd('GET', 'b') + cmd('GET', 'c');
    const replies = bulk('1') + SLOTS_REMOTE + err('MOVED 3999 10.0.0.2:6379') + bulk('x'.repeat(40));
    const want = bulk('1') + SLOTS_LOCAL + err('MOVED 3999 127.0.0.1:7002') + bulk('x'.repeat(40));
    const given = pieces(replies, [3, 30, replies.length - 20]);
    const next = vi.spyOn(ReplyScanner.prototype, 'next');
    const { session, out } = recorded();
    session.fromClient(Buffer.from(requests));
    for (const [chunk, ends] of given) session.fromServer(chunk, ends);
    expect(next).not.toHaveBeenCalled();
    expect(out.toClient).toBe(want);
    expect(out.uncertain).toEqual([]);
  });

  it('a push nested inside a reply fails safe, with the reason the scanner gives', () => {
    const requests = cmd('HELLO', '3') + cmd('MULTI') + cmd('PUBLISH', 'c', 'hi') + cmd('EXEC');
    const hello = '%1\r\n' + bulk('proto') + int(3);
    const exec = '*1\r\n' + push(bulk('message'), bulk('c'), bulk('hi')) + int(1);
    const replies = hello + simple('OK') + simple('QUEUED') + exec;
    for (const withEnds of [false, true]) {
      const { session, out } = recorded();
      session.fromClient(Buffer.from(requests));
      for (const [chunk, ends] of pieces(replies, [5]))
        session.fromServer(chunk, withEnds ? ends : undefined);
      expect(out.toClient).toBe(replies);
      expect(out.uncertain).toEqual(['a push frame inside a reply']);
    }
  });

  it('a reply held while a node is learned keeps the ends of what follows it', async () => {
    const known = new Map<string, { host: string; port: number }>();
    let release: () => void = () => {};
    const learned = new Promise<void>((resolve) => (release = resolve));
    const { session, out } = recorded({
      lookup: (ref) => known.get(`${ref.host}:${ref.port}`) ?? fakeLookup(ref),
      learn: () => learned.then(() => void known.set('10.9.9.9:6379', { host: '127.0.0.1', port: 7009 })),
    });
    const gets = cmd('GET', 'a') + cmd('GET', 'b') + cmd('GET', 'c');
    session.fromClient(Buffer.from(gets + cmd('CLUSTER', 'SLOTS') + cmd('GET', 'd')));
    // The MOVED names an unknown node: it and what follows wait, the rest of its chunk included.
    const replies = bulk('1') + err('MOVED 5 10.9.9.9:6379') + bulk('22') + SLOTS_REMOTE + bulk('333');
    const at = bulk('1').length + err('MOVED 5 10.9.9.9:6379').length + 3;
    const [[first, firstEnds], [second, secondEnds]] = pieces(replies, [at]);
    const next = vi.spyOn(ReplyScanner.prototype, 'next');
    expect(session.fromServer(first, firstEnds)).toBe(false);
    expect(session.fromServer(second, secondEnds)).toBe(false);
    expect(out.toClient).toBe(bulk('1'));
    release();
    await learned;
    await new Promise((r) => setImmediate(r));
    expect(out.toClient).toBe(
      bulk('1') + err('MOVED 5 127.0.0.1:7009') + bulk('22') + SLOTS_LOCAL + bulk('333'),
    );
    expect(next).not.toHaveBeenCalled();
  });

  it('a frame over the cap fails the client, as the scanner would', () => {
    const { session } = recorded({ lookup: fakeLookup, limits: { maxFrameBytes: 16 } });
    session.fromClient(Buffer.from(cmd('GET', 'a')));
    // '$20\r\n' and 20 bytes: no frame ends in the first 10 bytes, nor in the next 10.
    const reply = Buffer.from(bulk('y'.repeat(20)));
    expect(session.fromServer(reply.subarray(0, 10), new FrameEnds())).toBe(true);
    expect(() => session.fromServer(reply.subarray(10, 20), new FrameEnds())).toThrow(ProtocolError);
  });
});

describe('FrameEnds', () => {
  it('grows past its first 64 frames and keeps every flag', () => {
    const ends = new FrameEnds();
    for (let i = 1; i <= 200; i++) ends.add(i * 3, i % 7 === 0);
    expect(ends.count).toBe(200);
    expect(ends.ends[199]).toBe(600);
    expect([...ends.nested.subarray(0, 200)].filter((n) => n === 1)).toHaveLength(28);
  });

  it('after(n) keeps the ends past n, as offsets from it, in a record of its own', () => {
    const ends = new FrameEnds();
    for (const [e, nested] of [
      [4, false],
      [9, true],
      [15, false],
    ] as const)
      ends.add(e, nested);
    const rest = ends.after(4);
    ends.count = 0; // the lent record is reused for the next span
    expect(rest.count).toBe(2);
    expect([...rest.ends.subarray(0, 2)]).toEqual([5, 11]);
    expect([...rest.nested.subarray(0, 2)]).toEqual([1, 0]);
  });
});
