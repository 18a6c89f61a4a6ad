/**
 * A tiny, deliberately naive RESP writer for expected bytes in tests. It shares no code with src/,
 * so a bug in the encoder under test cannot hide in the expectation.
 */
export const crlf = '\r\n';
export const simple = (s: string): string => `+${s}\r\n`;
export const err = (s: string): string => `-${s}\r\n`;
export const int = (n: number): string => `:${n}\r\n`;
export const bulk = (s: string): string => `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
export const nullBulk = '$-1\r\n';
export const nullArr = '*-1\r\n';
export const null3 = '_\r\n';
export const arr = (...items: string[]): string => `*${items.length}\r\n${items.join('')}`;
export const push = (...items: string[]): string => `>${items.length}\r\n${items.join('')}`;
export const set = (...items: string[]): string => `~${items.length}\r\n${items.join('')}`;
/** RESP3 map from flattened key, value, key, value. */
export const map3 = (...kv: string[]): string => `%${kv.length / 2}\r\n${kv.join('')}`;
/** RESP2 map: a flat array. */
export const map2 = (...kv: string[]): string => arr(...kv);
export const verbatim = (s: string, format = 'txt'): string => `=${s.length + 4}\r\n${format}:${s}\r\n`;
/** A multibulk request. */
export const cmd = (...args: string[]): string => arr(...args.map(bulk));
export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
