import { describe, expect, it } from 'vitest';
import { requestArgument } from '../../src/resp/request-argument.js';

describe('requestArgument', () => {
  it('reads one argument of a whole multibulk request by its place, as a view', () => {
    const bytes = Buffer.from('PING\r\n*3\r\n$3\r\nSET\r\n$12\r\nkey:00000042\r\n$0\r\n\r\n');
    const start = 6;
    expect(requestArgument(bytes, start, bytes.length, 0)?.toString()).toBe('SET');
    expect(requestArgument(bytes, start, bytes.length, 1)?.toString()).toBe('key:00000042');
    expect(requestArgument(bytes, start, bytes.length, 2)?.toString()).toBe('');
    expect(requestArgument(bytes, start, bytes.length, 3)).toBeNull();
  });

  it('gives null for an inline command or a request cut short', () => {
    expect(requestArgument(Buffer.from('GET k\r\n'), 0, 7, 1)).toBeNull();
    const cut = Buffer.from('*2\r\n$3\r\nGET\r\n$10\r\nabc');
    expect(requestArgument(cut, 0, cut.length, 1)).toBeNull();
  });
});
