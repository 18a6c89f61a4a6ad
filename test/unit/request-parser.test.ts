import { describe, expect, it } from 'vitest';
import { splitInline } from '../../src/resp/inline.js';
import { RequestParser } from '../../src/resp/request-parser.js';
import { b, bulk, cmd } from '../helpers/resp.js';
import { drive } from '../helpers/drive.js';
import { protocolErrorCode } from '../helpers/protocol-error.js';
import { splits } from '../helpers/split.js';

interface Seen {
  argc: number;
  name: string | null;
  arg1: string | null;
  arg2: string | null;
  bytes: string;
}

const NAMES = ['get', 'set', 'ping', 'cluster', 'client', 'hello', 'echo'];
const newParser = (maxFrameBytes?: number): RequestParser =>
  new RequestParser({ names: NAMES, withArguments: ['cluster', 'client', 'hello'], maxFrameBytes });

function parseAll(chunks: Buffer[], parser = newParser()): Seen[] {
  const out: Seen[] = [];
  const left = drive(
    (b, p) => parser.next(b, p),
    chunks,
    (bytes) =>
      out.push({ argc: parser.argc, name: parser.name, arg1: parser.arg1, arg2: parser.arg2, bytes }),
  );
  expect(left).toBe('');
  return out;
}

const long = 'v'.repeat(100);
type Want = [number, string | null, string | null, string | null];

const CASES: Array<[string, string, Want[]]> = [
  ['one multibulk', cmd('GET', 'k'), [[2, 'get', null, null]]],
  [
    'pipeline, names matched in any case',
    cmd('SeT', 'a', '1') + cmd('CLUSTER', 'SLOTS') + cmd('ping'),
    [
      [3, 'set', null, null],
      [2, 'cluster', 'SLOTS', null],
      [1, 'ping', null, null],
    ],
  ],
  ['an unknown command', cmd('INCR', 'c'), [[2, null, null, null]]],
  [
    'a name that only starts like a known one',
    cmd('GETSET', 'a', 'b') + cmd('GE', 'x'),
    [
      [3, null, null, null],
      [2, null, null, null],
    ],
  ],
  ['long argument not captured', cmd('CLIENT', 'SETNAME', long, 'EX'), [[4, 'client', 'SETNAME', null]]],
  ['arguments of other commands are not read', cmd('SET', 'k', 'v', 'EX', '10'), [[5, 'set', null, null]]],
  ['long command name', cmd(long, 'x'), [[2, null, null, null]]],
  [
    'binary-safe argument with CRLF inside',
    cmd('CLIENT', 'SETNAME', 'a\r\nb'),
    [[3, 'client', 'SETNAME', 'a\r\nb']],
  ],
  ['empty argument', cmd('HELLO', ''), [[2, 'hello', '', null]]],
  [
    '*0 gets no reply',
    '*0\r\n' + cmd('PING'),
    [
      [0, null, null, null],
      [1, 'ping', null, null],
    ],
  ],
  [
    '*-1 gets no reply',
    '*-1\r\n' + cmd('PING'),
    [
      [0, null, null, null],
      [1, 'ping', null, null],
    ],
  ],
  ['inline with CRLF', 'PING\r\n', [[1, 'ping', null, null]]],
  ['inline with bare LF', 'CLUSTER NODES\n', [[2, 'cluster', 'NODES', null]]],
  ['inline with quotes', 'client "a b" \'c d\'\r\n', [[3, 'client', 'a b', 'c d']]],
  ['inline with escapes', 'HELLO "x\\x41\\n"\r\n', [[2, 'hello', 'xA\n', null]]],
  [
    'empty inline line gets no reply',
    '\r\n' + 'PING\r\n',
    [
      [0, null, null, null],
      [1, 'ping', null, null],
    ],
  ],
  ['blank inline line', '   \n', [[0, null, null, null]]],
  [
    'inline then multibulk',
    'PING\r\n' + cmd('GET', 'x'),
    [
      [1, 'ping', null, null],
      [2, 'get', null, null],
    ],
  ],
];

describe('RequestParser', () => {
  for (const [name, data, expected] of CASES) {
    it(`parses ${name} in every split`, () => {
      for (const { name: how, chunks } of splits(b(data))) {
        const got = parseAll(chunks);
        expect(
          got.map((g) => [g.argc, g.name, g.arg1, g.arg2]),
          how,
        ).toEqual(expected);
        expect(got.map((g) => g.bytes).join(''), how).toBe(data);
      }
    });
  }

  it('reads nothing of a large argument', () => {
    const big = 'x'.repeat(1 << 20);
    const got = parseAll([b(cmd('SET', 'key', big))]);
    expect([got[0].argc, got[0].name]).toEqual([3, 'set']);
  });

  const BAD: Array<[string, string, string]> = [
    ['a non-bulk element', '*1\r\n+PING\r\n', 'ERR_EXPECTED_BULK'],
    ['a bad count', '*x\r\n', 'ERR_BAD_LENGTH'],
    ['a bad bulk length', '*1\r\n$-3\r\n', 'ERR_BAD_LENGTH'],
    ['a bulk without CRLF', '*1\r\n$4\r\nPINGxx', 'ERR_BAD_TERMINATOR'],
    ['unbalanced quotes', 'SET "a b\r\n', 'ERR_UNBALANCED_QUOTES'],
    ['closing quote followed by a letter', 'SET "a"b\r\n', 'ERR_UNBALANCED_QUOTES'],
    // A node reads a length as string2ll does: these it refuses, so a lax reading would let a
    // request through that makes a node close a shared connection.
    ['a count with a leading zero', '*01\r\n$4\r\nPING\r\n', 'ERR_BAD_LENGTH'],
    ['a count of -0', '*-0\r\n', 'ERR_BAD_LENGTH'],
    ['a count with a plus sign', '*+1\r\n$4\r\nPING\r\n', 'ERR_BAD_LENGTH'],
    ['a bulk length with a leading zero', '*1\r\n$04\r\nPING\r\n', 'ERR_BAD_LENGTH'],
    ['a bulk length of -0', '*1\r\n$-0\r\n', 'ERR_BAD_LENGTH'],
    ['a bulk length over 512 MiB', '*1\r\n$536870913\r\n', 'ERR_BAD_LENGTH'],
  ];
  for (const [name, data, code] of BAD) {
    it(`rejects ${name} with ${code}`, () => {
      for (const { name: how, chunks } of splits(b(data))) {
        expect(
          protocolErrorCode(() => parseAll(chunks)),
          how,
        ).toBe(code);
      }
    });
  }

  it('says what a node says of each refused length, and reads the lengths a node reads', () => {
    const message = (data: string): string => {
      try {
        parseAll([b(data)]);
      } catch (e) {
        return (e as Error).message;
      }
      return 'parsed';
    };
    expect(message('*01\r\n')).toBe('invalid multibulk length');
    expect(message('*3000000000\r\n')).toBe('invalid multibulk length');
    expect(message('*1\r\n$-1\r\n')).toBe('invalid bulk length');
    expect(message('*1\r\n$536870913\r\n')).toBe('invalid bulk length');
    expect(message('*1\r\n4\r\n')).toBe("expected '$', got '4'");
    expect(message('PING "a\r\n')).toBe('unbalanced quotes in request');
    expect(message('x'.repeat(70_000))).toBe('too big inline request');
    const read = (data: string): number[] => parseAll([b(data)]).map((g) => g.argc);
    expect(read('*0\r\n*-5\r\n*1\r\n$0\r\n\r\n*1\r\n$10\r\n0123456789\r\n')).toEqual([0, 0, 1, 1]);
    // 512 MiB itself is a length a node accepts: the parser waits for the body.
    expect(newParser().next(b('*1\r\n$536870912\r\n'), 0)).toBe(-1);
  });

  it('refuses an inline request over 64 KiB and an argument over the cap', () => {
    expect(() => parseAll([b('x'.repeat(70_000))])).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    );
    expect(() => parseAll([b('*1\r\n$2000\r\n')], newParser(1000))).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    );
  });

  it('reads an inline line cut across chunks lent from one reused buffer as the node does', () => {
    // The tunnel reads a client into one buffer it reuses (SocketReads): the first piece of the
    // line is overwritten by the second read before the line ends.
    const reused = Buffer.alloc(16);
    const parser = newParser();
    const lend = (text: string): Buffer => reused.subarray(0, reused.write(text, 'latin1'));
    expect(parser.next(lend('SUBSCRIBE'), 0)).toBe(-1);
    expect(parser.next(lend(' GET\r\n'), 0)).toBe(6);
    expect([parser.argc, parser.name]).toEqual([2, null]); // SUBSCRIBE GET: not the GET it looked like
    expect(parser.next(lend('GE'), 0)).toBe(-1);
    expect(parser.next(lend('T k\r\n'), 0)).toBe(5);
    expect([parser.argc, parser.name]).toEqual([2, 'get']);
  });

  it('splits inline words like the server', () => {
    expect(splitInline("  a  \"b c\"  'd\\'e'  ")).toEqual(['a', 'b c', "d'e"]);
    expect(splitInline('"\\t\\r\\a\\b\\\\"')).toEqual(['\t\r\x07\b\\']);
    expect(splitInline('')).toEqual([]);
    expect(bulk('ab')).toBe('$2\r\nab\r\n');
  });

  it("keeps the arguments when asked: whole ones as read, an inline line's words, null when one spans chunks", () => {
    const data = b(cmd('SET', 'key', 'value') + cmd('PING') + '*2\r\n$3\r\nGET\r\n$0\r\n\r\n');
    const wanted = [['SET', 'key', 'value'], ['PING'], ['GET', '']];
    for (const { name: how, chunks } of splits(data)) {
      const parser = new RequestParser({ names: [], keepArgs: true });
      const kept: Array<string[] | null> = [];
      for (const chunk of chunks) {
        let pos = 0;
        for (let end = parser.next(chunk, pos); end >= 0; end = parser.next(chunk, pos)) {
          kept.push(parser.args?.map((a) => a.toString()) ?? null);
          pos = end;
        }
      }
      expect(kept.length, how).toBe(3);
      // Each request's arguments are kept unless one of them was cut by a chunk boundary.
      kept.forEach((args, i) => {
        if (args !== null) expect(args, how).toEqual(wanted[i]);
      });
    }
    const whole = new RequestParser({ names: [], keepArgs: true });
    expect(whole.next(data, 0)).toBeGreaterThan(0);
    expect(whole.args?.map((a) => a.toString())).toEqual(wanted[0]);
    const cut = new RequestParser({ names: [], keepArgs: true });
    expect(cut.next(data.subarray(0, 18), 0)).toBe(-1); // inside 'key'
    expect(cut.next(data.subarray(18), 0)).toBeGreaterThan(0);
    expect(cut.args).toBeNull();
    const inline = new RequestParser({ names: [], keepArgs: true });
    expect(inline.next(b('GET "a b" k\r\n'), 0)).toBe(13);
    expect(inline.args?.map((a) => a.toString())).toEqual(['GET', 'a b', 'k']);
    // Split in pieces, the line is still split once it is whole.
    expect(inline.next(b('SET k '), 0)).toBe(-1);
    expect(inline.next(b('\xe9\n'), 0)).toBe(2);
    expect(inline.args?.map((a) => [...a])).toEqual([[83, 69, 84], [107], [0xe9]]);
    expect(new RequestParser({ names: [] }).args).toBeNull();
  });

  it('keeps the arguments of every request but those named in `readInPlace`', () => {
    const data = b(cmd('GET', 'k') + cmd('MSET', 'a', '1', 'b', '2') + cmd('set', 'k', 'v') + cmd('PING'));
    const parser = new RequestParser({
      names: ['get', 'set', 'ping'],
      readInPlace: ['get', 'set'],
      keepArgs: true,
    });
    const kept: Array<[string | null, string[] | null]> = [];
    for (let pos = 0; pos < data.length;) {
      pos = parser.next(data, pos);
      expect(pos).toBeGreaterThan(0);
      kept.push([parser.name, parser.args?.map((a) => a.toString()) ?? null]);
    }
    expect(kept).toEqual([
      ['get', null],
      [null, ['MSET', 'a', '1', 'b', '2']],
      ['set', null],
      ['ping', ['PING']],
    ]);
  });

  it('notes where the first arguments lie when asked: in place when whole, -1 when cut or absent', () => {
    const data = b(cmd('SET', 'key', 'value') + cmd('GET', 'other'));
    const parser = new RequestParser({ names: [], argPlaces: true });
    const places = (): Array<string | null> =>
      [0, 1, 2, 3].map((i) =>
        parser.argLengths[i] < 0
          ? null
          : (parser.argBuffers[i] as Buffer).toString(
              'latin1',
              parser.argStarts[i],
              parser.argStarts[i] + parser.argLengths[i],
            ),
      );
    const end = parser.next(data, 0);
    expect(places()).toEqual(['SET', 'key', 'value', null]);
    expect(parser.next(data, end)).toBe(data.length);
    expect(places()).toEqual(['GET', 'other', null, null]);
    expect(parser.next(data.subarray(0, 18), 0)).toBe(-1); // inside 'key'
    expect(parser.next(data.subarray(18), 0)).toBeGreaterThan(0);
    expect(places()).toEqual(['SET', null, 'value', null]);
    // A request cut between arguments, its first chunk forgotten (a client read is done with):
    // the places in that chunk are gone, not left pointing at nothing.
    const first = b(cmd('SET', 'key', 'value')).subarray(0, 22); // up to the end of 'key'
    expect(parser.next(first, 0)).toBe(-1);
    expect(places()).toEqual(['SET', 'key', null, null]);
    parser.forgetChunk();
    expect([places(), parser.argBuffers.every((x) => x === null)]).toEqual([[null, null, null, null], true]);
    const second = b(cmd('SET', 'key', 'value')).subarray(22);
    expect(parser.next(second, 0)).toBe(second.length);
    expect(places()).toEqual([null, null, 'value', null]);
  });

  it("gives the arguments from where they lie when every one is placed, or an inline line's words; null otherwise", () => {
    const parser = new RequestParser({ names: [], argPlaces: true });
    const words = (): string[] | null => parser.placedArgs()?.map((a) => a.toString('latin1')) ?? null;
    const data = b(cmd('SET', 'key', 'value') + cmd('SET', 'k', 'v', 'EX', '10') + 'GET k\r\n');
    let end = parser.next(data, 0);
    expect(words()).toEqual(['SET', 'key', 'value']);
    end = parser.next(data, end);
    expect(words()).toBeNull(); // five arguments: past ARG_PLACES
    expect(parser.next(data, end)).toBe(data.length);
    expect(words()).toEqual(['GET', 'k']); // inline: its words, as split
    const cut = b(cmd('GET', 'key'));
    expect(parser.next(cut.subarray(0, 18), 0)).toBe(-1); // inside 'key'
    expect(parser.next(cut.subarray(18), 0)).toBe(cut.length - 18);
    expect(words()).toBeNull();
  });
});
