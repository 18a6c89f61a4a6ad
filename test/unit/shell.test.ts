import { describe, expect, it } from 'vitest';
import { bulkString } from '../../src/resp/encode.js';
import { formatReply, quote } from '../../src/shell/format.js';
import { CommandHelp } from '../../src/shell/hints.js';
import { carriesSecret } from '../../src/shell/history.js';
import { splitArgs } from '../../src/shell/split-args.js';

const words = (line: string): string[] | null => splitArgs(line)?.map((b) => b.toString('latin1')) ?? null;

describe('cli line splitting, as redis-cli splits', () => {
  it('blanks, quotes and escapes', () => {
    expect(words('  SET  k "a b"  \'c d\' ')).toEqual(['SET', 'k', 'a b', 'c d']);
    expect(words('SET k "\\x00\\xff\\t\\n\\"q\\\\"')).toEqual(['SET', 'k', '\x00\xff\t\n"q\\']);
    expect(words("SET k 'it\\'s'")).toEqual(['SET', 'k', "it's"]);
    expect(words('GET ab"c d"')).toEqual(['GET', 'abc d']);
    expect(words('')).toEqual([]);
  });

  it('unbalanced or glued quotes cannot be split', () => {
    expect(splitArgs('SET k "open')).toBeNull();
    expect(splitArgs('SET k "a"b')).toBeNull();
    expect(splitArgs("SET k 'open")).toBeNull();
  });
});

describe('replies printed as redis-cli prints them', () => {
  it('nested arrays indent by the width of their numbers', () => {
    const items = Array.from({ length: 10 }, (_, i) => `*2\r\n$1\r\n${i}\r\n*1\r\n$1\r\nx\r\n`).join('');
    const text = formatReply(Buffer.from(`*10\r\n${items}`), 'tty').split('\n');
    expect(text.slice(0, 3)).toEqual([' 1) 1) "0"', '    2) 1) "x"', ' 2) 1) "1"']);
    expect(text[18]).toBe('10) 1) "9"');
  });

  it('RESP3 maps, sets, doubles, booleans, verbatim strings and nulls', () => {
    const map = Buffer.from('%2\r\n$1\r\na\r\n,1.5\r\n$1\r\nb\r\n*2\r\n#t\r\n_\r\n');
    expect(formatReply(map, 'tty')).toBe('1# "a" => (double) 1.5\n2# "b" => \n   1) (true)\n   2) (nil)\n');
    expect(formatReply(Buffer.from('~1\r\n:1\r\n'), 'tty')).toBe('1~ (integer) 1\n');
    expect(formatReply(Buffer.from('=8\r\ntxt:some\r\n'), 'tty')).toBe('some\n');
    expect(formatReply(map, 'raw')).toBe('a 1.5\nb (true)\n\n');
  });

  it('bytes a terminal cannot show are escaped', () => {
    expect(quote('\x00a"\\\x7f\xe9')).toBe('"\\x00a\\"\\\\\\x7f\\xe9"');
    expect(formatReply(Buffer.from('$2\r\n\xc3\xa9\r\n', 'latin1'), 'tty')).toBe('"\\xc3\\xa9"\n');
  });
});

describe('the history file', () => {
  it('never keeps a line that carries a password or token', () => {
    for (const line of [
      'AUTH secret',
      'auth user secret',
      '3 AUTH secret',
      '@all AUTH user secret',
      'HELLO 3 AUTH user secret',
      'ACL SETUSER bob on >pw',
      'CONFIG SET requirepass pw',
      'CONFIG SET maxmemory 1 masterauth pw',
      'MIGRATE h 1 "" 0 5000 AUTH2 u pw KEYS a',
      'SET k "unbalanced',
    ])
      expect(carriesSecret(line), line).toBe(true);
    for (const line of ['GET auth', 'HELLO 3', 'CONFIG SET maxmemory 1', 'SET password x'])
      expect(carriesSecret(line), line).toBe(false);
  });
});

describe('hints from COMMAND DOCS', () => {
  /** A COMMAND DOCS reply for ZADD and CONFIG SET, as a 7.0 server describes them (trimmed). */
  const arg = (fields: Array<[string, string | Buffer]>): string =>
    `*${fields.length * 2}\r\n` +
    fields
      .map(
        ([k, v]) => bulkString(k).toString() + (Buffer.isBuffer(v) ? v.toString() : bulkString(v).toString()),
      )
      .join('');
  const list = (items: string[]): Buffer => Buffer.from(`*${items.length}\r\n${items.join('')}`);
  const flags = (...f: string[]): Buffer =>
    Buffer.from(`*${f.length}\r\n${f.map((x) => `+${x}\r\n`).join('')}`);
  const zadd = arg([
    [
      'arguments',
      list([
        arg([
          ['name', 'key'],
          ['type', 'key'],
        ]),
        arg([
          ['name', 'condition'],
          ['type', 'oneof'],
          ['flags', flags('optional')],
          [
            'arguments',
            list([
              arg([
                ['name', 'nx'],
                ['type', 'pure-token'],
                ['token', 'NX'],
              ]),
              arg([
                ['name', 'xx'],
                ['type', 'pure-token'],
                ['token', 'XX'],
              ]),
            ]),
          ],
        ]),
        arg([
          ['name', 'change'],
          ['type', 'pure-token'],
          ['token', 'CH'],
          ['flags', flags('optional')],
        ]),
        arg([
          ['name', 'data'],
          ['type', 'block'],
          ['flags', flags('multiple')],
          [
            'arguments',
            list([
              arg([
                ['name', 'score'],
                ['type', 'double'],
              ]),
              arg([
                ['name', 'member'],
                ['type', 'string'],
              ]),
            ]),
          ],
        ]),
      ]),
    ],
  ]);
  const config = arg([
    [
      'subcommands',
      list([
        bulkString('config|set').toString(),
        arg([
          [
            'arguments',
            list([
              arg([
                ['name', 'parameter'],
                ['type', 'string'],
              ]),
            ]),
          ],
        ]),
      ]),
    ],
  ]);
  const help = new CommandHelp(Buffer.from(`*4\r\n$4\r\nzadd\r\n${zadd}$6\r\nconfig\r\n${config}`));

  it('shows what is left to type, from the longest matching name', () => {
    expect(help.hint('ZADD ')).toBe('key [NX|XX] [CH] score member [score member ...]');
    expect(help.hint('zadd k')).toBe(' [NX|XX] [CH] score member [score member ...]');
    expect(help.hint('CONFIG SET ')).toBe('parameter');
    expect(help.hint('NOPE ')).toBeNull();
  });

  it('completes command and subcommand names', () => {
    expect(help.complete('co')).toEqual(['CONFIG', 'CONFIG SET']);
    expect(help.complete('ZA')).toEqual(['ZADD']);
  });
});
