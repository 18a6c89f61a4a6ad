/**
 * The nodes' request limits, read from the seed's reply to CONFIG GET proto-max-bulk-len, and the
 * request parser holding arguments to them. The reply shapes are those redis-server 7.0.15 gives
 * (RESP2: a name/value list; RESP3: a map); a refusal keeps Redis's default.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/resp/errors.js';
import { RequestParser } from '../../src/resp/request-parser.js';
import { DEFAULT_REQUEST_LIMITS, limitsOf } from '../../src/protocol/request-limits.js';

const reply = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('limitsOf', () => {
  it('reads the limit from a RESP2 list and from a RESP3 map', () => {
    expect(limitsOf(reply('*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n'))).toEqual({
      maxBulkBytes: 1048576,
    });
    expect(limitsOf(reply('%1\r\n$18\r\nproto-max-bulk-len\r\n$9\r\n536870912\r\n'))).toEqual({
      maxBulkBytes: 536870912,
    });
  });

  it('says why there is none: a refusal, an empty answer, a value that is not a number', () => {
    expect(
      limitsOf(reply("-NOPERM this user has no permissions to run the 'config|get' command\r\n")),
    ).toEqual({
      unknown: "NOPERM this user has no permissions to run the 'config|get' command",
    });
    expect(limitsOf(reply('*0\r\n'))).toEqual({ unknown: 'proto-max-bulk-len is not given' });
    expect(limitsOf(reply('*2\r\n$18\r\nproto-max-bulk-len\r\n$3\r\n1mb\r\n'))).toEqual({
      unknown: 'proto-max-bulk-len is 1mb',
    });
    expect(DEFAULT_REQUEST_LIMITS).toEqual({ maxBulkBytes: 512 * 1024 * 1024 });
  });
});

describe('a request parser with maxBulkBytes', () => {
  const lengths = (limit: number, length: number): string => {
    const parser = new RequestParser({ names: [], maxBulkBytes: limit });
    try {
      parser.next(reply(`*2\r\n$3\r\nGET\r\n$${length}\r\n`), 0);
      return 'read on';
    } catch (e) {
      return e instanceof ProtocolError ? e.message : String(e);
    }
  };

  it('takes an argument of exactly the limit and refuses one byte more, at its length line', () => {
    expect(lengths(1048576, 1048576)).toBe('read on');
    expect(lengths(1048576, 1048577)).toBe('invalid bulk length');
  });
});
