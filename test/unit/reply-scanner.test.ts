import { describe, expect, it } from 'vitest';
import { ReplyScanner } from '../../src/resp/reply-scanner.js';
import {
  arr,
  b,
  bulk,
  err,
  int,
  map3,
  null3,
  nullArr,
  nullBulk,
  push,
  set,
  simple,
  verbatim,
} from '../helpers/resp.js';
import { drive } from '../helpers/drive.js';
import { protocolErrorCode } from '../helpers/protocol-error.js';
import { splits } from '../helpers/split.js';

/** Runs the scanner over chunks and returns each completed frame's bytes (reassembled) and type. */
function frames(
  chunks: Buffer[],
  scanner = new ReplyScanner(),
): Array<{ type: string; bytes: string; nestedPush: boolean }> {
  const out: Array<{ type: string; bytes: string; nestedPush: boolean }> = [];
  const left = drive(
    (b, p) => scanner.next(b, p),
    chunks,
    (bytes) =>
      out.push({ type: String.fromCharCode(scanner.frameType), bytes, nestedPush: scanner.nestedPush }),
  );
  expect(left).toBe('');
  return out;
}

// Each fixture: a stream of consecutive frames, written with the independent builder.
const FIXTURES: Array<[string, string[]]> = [
  ['simple string', [simple('OK')]],
  ['error', [err('ERR unknown command')]],
  ['integer', [int(42), int(-7)]],
  ['bulk', [bulk('hello')]],
  ['empty bulk', [bulk('')]],
  ['bulk containing CRLF and type bytes', [bulk('a\r\n*3\r\n$-1\r\n+x')]],
  ['RESP2 null bulk and null array', [nullBulk, nullArr]],
  ['array of mixed', [arr(int(1), bulk('x'), simple('y'), nullBulk)]],
  ['empty array', ['*0\r\n']],
  ['nested arrays', [arr(arr(int(0), int(5460), arr(bulk('127.0.0.1'), int(7001), bulk('id'))))]],
  ['RESP3 null', [null3]],
  ['boolean', ['#t\r\n', '#f\r\n']],
  ['double', [',3.14\r\n', ',inf\r\n', ',-nan\r\n']],
  ['big number', ['(3492890328409238509324850943850943825024385\r\n']],
  ['bulk error', ['!21\r\nSYNTAX invalid syntax\r\n']],
  ['verbatim', [verbatim('Some string')]],
  ['map', [map3(bulk('first'), int(1), bulk('second'), int(2))]],
  ['empty map', ['%0\r\n']],
  ['set', [set(simple('orange'), simple('apple'))]],
  ['push', [push(bulk('message'), bulk('chan'), bulk('hi'))]],
  ['attribute then reply', ['|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n', int(2)]],
  ['attribute nested in an array', [`*2\r\n|1\r\n+ttl\r\n:3600\r\n${int(1)}${int(2)}`]],
  ['empty attribute', ['|0\r\n', int(5)]],
  ['long line', [simple('x'.repeat(5000))]],
  ['many frames', Array.from({ length: 20 }, (_, i) => (i % 2 ? int(i) : bulk(`v${i}`)))],
];

describe('ReplyScanner', () => {
  for (const [name, expected] of FIXTURES) {
    it(`frames ${name} in every split`, () => {
      const data = b(expected.join(''));
      for (const { name: how, chunks } of splits(data)) {
        const got = frames(chunks).map((f) => f.bytes);
        expect(got, how).toEqual(expected);
      }
    });
  }

  it('reports the type of each frame, attributes as their own frame', () => {
    const got = frames([b('|1\r\n+a\r\n+b\r\n' + int(1) + push(bulk('x')))]);
    expect(got.map((f) => f.type)).toEqual(['|', ':', '>']);
  });

  it('flags a push nested inside an aggregate', () => {
    const got = frames([b(arr(push(bulk('message'), bulk('c'), bulk('m'))) + arr(int(1)))]);
    expect(got.map((f) => f.nestedPush)).toEqual([true, false]);
  });

  it('keeps state across many tiny chunks of one large bulk', () => {
    const payload = 'z'.repeat(100_000);
    const data = b(bulk(payload) + simple('OK'));
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += 7) chunks.push(data.subarray(i, i + 7));
    expect(frames(chunks).map((f) => f.bytes.length)).toEqual([bulk(payload).length, 5]);
  });

  const BAD: Array<[string, string, string]> = [
    ['unknown type byte', '?5\r\n', 'ERR_UNKNOWN_TYPE'],
    ['letter as type', 'hello\r\n', 'ERR_UNKNOWN_TYPE'],
    ['non-digit length', '$abc\r\n', 'ERR_BAD_LENGTH'],
    ['empty length', '$\r\n', 'ERR_BAD_LENGTH'],
    ['negative length other than -1', '$-2\r\n', 'ERR_BAD_LENGTH'],
    ['negative map', '%-1\r\n', 'ERR_BAD_LENGTH'],
    ['length line without LF', '$3\rxabc\r\n', 'ERR_BAD_LENGTH'],
    ['bulk without CRLF', '$3\r\nabcXY', 'ERR_BAD_TERMINATOR'],
    ['line ended by bare LF', '+OK\n', 'ERR_BAD_TERMINATOR'],
    ['verbatim shorter than its format', '=2\r\nab\r\n', 'ERR_BAD_LENGTH'],
    ['streamed string (not produced by servers)', '$?\r\n', 'ERR_BAD_LENGTH'],
    ['huge length', '$99999999999999999\r\n', 'ERR_BAD_LENGTH'],
  ];
  for (const [name, data, code] of BAD) {
    it(`rejects ${name} with ${code} in every split`, () => {
      for (const { name: how, chunks } of splits(b(data))) {
        const scanner = new ReplyScanner();
        expect(
          protocolErrorCode(() =>
            drive(
              (buf, p) => scanner.next(buf, p),
              chunks,
              () => {},
            ),
          ),
          how,
        ).toBe(code);
      }
    });
  }

  it('enforces the frame cap on bulk lengths and on total frame size', () => {
    const small = new ReplyScanner({ maxFrameBytes: 100 });
    expect(() => small.next(b('$101\r\n'), 0)).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    );
    const total = new ReplyScanner({ maxFrameBytes: 100 });
    const big = b(arr(...Array.from({ length: 20 }, () => bulk('0123456789'))));
    expect(() => {
      for (let i = 0; i < big.length; i += 10) total.next(big.subarray(i, i + 10), 0);
    }).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
  });

  it('enforces the nesting cap', () => {
    const scanner = new ReplyScanner({ maxDepth: 4 });
    expect(() => scanner.next(b('*1\r\n'.repeat(5) + int(1)), 0)).toThrow(
      expect.objectContaining({ code: 'ERR_TOO_DEEP' }),
    );
    expect(new ReplyScanner({ maxDepth: 4 }).next(b('*1\r\n'.repeat(4) + int(1)), 0)).toBe(4 * 4 + 4);
  });
});
