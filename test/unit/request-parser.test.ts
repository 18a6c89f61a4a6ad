import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/resp/errors.js';
import { splitInline } from '../../src/resp/inline.js';
import { RequestParser } from '../../src/resp/request-parser.js';
import { b, bulk, cmd } from '../helpers/resp.js';
import { splits } from '../helpers/split.js';

interface Seen {
  argc: number;
  args: Array<string | null>;
  bytes: string;
}

function parseAll(chunks: Buffer[], parser = new RequestParser()): Seen[] {
  const out: Seen[] = [];
  let pending = '';
  for (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const end = parser.next(chunk, pos);
      if (end < 0) {
        pending += chunk.toString('latin1', pos);
        break;
      }
      pending += chunk.toString('latin1', pos, end);
      out.push({ argc: parser.argc, args: [...parser.args], bytes: pending });
      pending = '';
      pos = end;
    }
  }
  expect(pending).toBe('');
  return out;
}

const long = 'v'.repeat(100);

const CASES: Array<[string, string, Array<[number, Array<string | null>]>]> = [
  ['one multibulk', cmd('GET', 'k'), [[2, ['GET', 'k']]]],
  ['pipeline', cmd('SET', 'a', '1') + cmd('CLUSTER', 'SLOTS') + cmd('PING'), [[3, ['SET', 'a', '1']], [2, ['CLUSTER', 'SLOTS']], [1, ['PING']]]],
  ['long argument not captured', cmd('SET', 'k', long, 'EX', '10'), [[5, ['SET', 'k', null]]]],
  ['binary-safe argument with CRLF inside', cmd('SET', 'k', 'a\r\nb'), [[3, ['SET', 'k', 'a\r\nb']]]],
  ['empty argument', cmd('ECHO', ''), [[2, ['ECHO', '']]]],
  ['*0 gets no reply', '*0\r\n' + cmd('PING'), [[0, []], [1, ['PING']]]],
  ['*-1 gets no reply', '*-1\r\n' + cmd('PING'), [[0, []], [1, ['PING']]]],
  ['inline with CRLF', 'PING\r\n', [[1, ['PING']]]],
  ['inline with bare LF', 'CLUSTER NODES\n', [[2, ['CLUSTER', 'NODES']]]],
  ['inline with quotes', 'SET "a b" \'c d\'\r\n', [[3, ['SET', 'a b', 'c d']]]],
  ['inline with escapes', 'ECHO "x\\x41\\n"\r\n', [[2, ['ECHO', 'xA\n']]]],
  ['empty inline line gets no reply', '\r\n' + 'PING\r\n', [[0, []], [1, ['PING']]]],
  ['blank inline line', '   \n', [[0, []]]],
  ['inline then multibulk', 'PING\r\n' + cmd('GET', 'x'), [[1, ['PING']], [2, ['GET', 'x']]]],
];

describe('RequestParser', () => {
  for (const [name, data, expected] of CASES) {
    it(`parses ${name} in every split`, () => {
      for (const { name: how, chunks } of splits(b(data))) {
        const got = parseAll(chunks);
        expect(
          got.map((g) => [g.argc, g.args]),
          how,
        ).toEqual(expected);
        expect(got.map((g) => g.bytes).join(''), how).toBe(data);
      }
    });
  }

  it('does not copy a large argument (only the first three short ones are captured)', () => {
    const big = 'x'.repeat(1 << 20);
    const got = parseAll([b(cmd('SET', 'key', big))]);
    expect(got[0].args).toEqual(['SET', 'key', null]);
  });

  const BAD: Array<[string, string, string]> = [
    ['a non-bulk element', '*1\r\n+PING\r\n', 'ERR_EXPECTED_BULK'],
    ['a bad count', '*x\r\n', 'ERR_BAD_LENGTH'],
    ['a bad bulk length', '*1\r\n$-3\r\n', 'ERR_BAD_LENGTH'],
    ['a bulk without CRLF', '*1\r\n$4\r\nPINGxx', 'ERR_BAD_TERMINATOR'],
    ['unbalanced quotes', 'SET "a b\r\n', 'ERR_UNBALANCED_QUOTES'],
    ['closing quote followed by a letter', 'SET "a"b\r\n', 'ERR_UNBALANCED_QUOTES'],
  ];
  for (const [name, data, code] of BAD) {
    it(`rejects ${name} with ${code}`, () => {
      for (const { name: how, chunks } of splits(b(data))) {
        let thrown: unknown;
        try {
          parseAll(chunks);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, how).toBeInstanceOf(ProtocolError);
        expect((thrown as ProtocolError).code, how).toBe(code);
      }
    });
  }

  it('refuses an inline request over 64 KiB and an argument over the cap', () => {
    expect(() => parseAll([b('x'.repeat(70_000))])).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
    expect(() => parseAll([b('*1\r\n$2000\r\n')], new RequestParser(1000))).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }),
    );
  });

  it('splits inline words like the server', () => {
    expect(splitInline('  a  "b c"  \'d\\\'e\'  ')).toEqual(['a', 'b c', "d'e"]);
    expect(splitInline('"\\t\\r\\a\\b\\\\"')).toEqual(['\t\r\x07\b\\']);
    expect(splitInline('')).toEqual([]);
    expect(bulk('ab')).toBe('$2\r\nab\r\n');
  });
});
