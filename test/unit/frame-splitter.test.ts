/**
 * FrameSplitter, the one loop every client's requests are read with: frames within a chunk come
 * in place, a frame across chunks comes joined once, and with lent chunks (a reused read buffer)
 * what it keeps between pushes is its own copy.
 */
import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../../src/resp/frame-splitter.js';
import { RequestParser } from '../../src/resp/request-parser.js';

function splitter(lent: boolean) {
  const parser = new RequestParser({ names: ['get', 'set'] });
  const frames: { text: string; inPlace: boolean; next: number }[] = [];
  const s = new FrameSplitter(parser, () => parser.inRequest, lent);
  const push = (chunk: Buffer, stopAfter = Infinity): void =>
    s.pushInPlace(chunk, (buf, start, end, next) => {
      frames.push({ text: buf.toString('latin1', start, end), inPlace: buf === chunk, next });
      return frames.length < stopAfter;
    });
  return { s, frames, push };
}

const GET_A = '*2\r\n$3\r\nGET\r\n$1\r\na\r\n';
const SET_B = '*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n1\r\n';

describe('FrameSplitter', () => {
  it('hands whole frames of one chunk in place, with the offset just past each', () => {
    const { frames, push } = splitter(false);
    push(Buffer.from(GET_A + SET_B));
    expect(frames).toEqual([
      { text: GET_A, inPlace: true, next: GET_A.length },
      { text: SET_B, inPlace: true, next: GET_A.length + SET_B.length },
    ]);
  });

  it('joins a frame cut across chunks once, counts the bytes it holds meanwhile, and stops when told', () => {
    const { s, frames, push } = splitter(false);
    push(Buffer.from(GET_A + SET_B.slice(0, 9)));
    expect(s.partialBytes).toBe(9);
    push(Buffer.from(SET_B.slice(9) + GET_A + GET_A), 2);
    expect(s.partialBytes).toBe(0);
    expect(frames.map((f) => [f.text, f.inPlace, f.next])).toEqual([
      [GET_A, true, GET_A.length],
      [SET_B, false, SET_B.length - 9],
      // stopped after the second frame: the two GETs after it are not read
    ]);
  });

  it('with lent chunks, keeps a copy of an unfinished frame: the lender may overwrite its buffer', () => {
    for (const lent of [true, false]) {
      const { frames, push } = splitter(lent);
      const buffer = Buffer.from(SET_B.slice(0, 12));
      push(buffer);
      buffer.fill('x'); // the read buffer is reused for the next read
      push(Buffer.from(SET_B.slice(12)));
      expect(frames[0]?.text === SET_B).toBe(lent);
    }
  });

  it('takePartial gives the unfinished frame and forgets it', () => {
    const { s, push } = splitter(true);
    push(Buffer.from(SET_B.slice(0, 5)));
    push(Buffer.from(SET_B.slice(5, 11)));
    expect(Buffer.concat(s.takePartial()).toString()).toBe(SET_B.slice(0, 11));
    expect(s.partialBytes).toBe(0);
    expect(s.takePartial()).toEqual([]);
  });
});
