import { type RespNode, decode } from '../resp/decode.js';
import {
  T_ARRAY,
  T_BIGNUM,
  T_BOOLEAN,
  T_BULK,
  T_BULK_ERROR,
  T_DOUBLE,
  T_ERROR,
  T_INTEGER,
  T_MAP,
  T_NULL,
  T_PUSH,
  T_SET,
  T_SIMPLE,
  T_VERBATIM,
} from '../resp/types.js';

/*
 * Replies printed the way redis-cli prints them, byte for byte: formatted on a terminal
 * (`(integer) 1`, `1) "a"`, nested arrays indented by the width of their numbers), raw when the
 * output is piped (values as they are, one per line). Text is handled as latin1, one character
 * per byte, so binary values pass unchanged; write it out as latin1.
 */

/** How replies are printed: formatted for a terminal, or raw. */
export type OutputMode = 'tty' | 'raw';

/** The reply frame printed in `mode`, with its final newline. */
export function formatReply(frame: Buffer, mode: OutputMode): string {
  const node = decode(frame);
  return mode === 'tty' ? tty(frame, node, '') : raw(frame, node) + '\n';
}

/**
 * A reply printed as it is even on a terminal (redis-cli does this for INFO, CLIENT LIST, CLUSTER
 * NODES and a few more whose text is meant to be read as lines).
 */
export function formatVerbatim(frame: Buffer): string {
  return raw(frame, decode(frame));
}

/** The commands redis-cli prints verbatim on a terminal (see formatVerbatim). */
export function printsVerbatim(args: string[]): boolean {
  const [a = '', b = ''] = args.map((x) => x.toLowerCase());
  const n = args.length;
  return (
    a === 'info' ||
    a === 'lolwut' ||
    (a === 'debug' && n >= 2 && ['htstats', 'htstats-key', 'client-eviction'].includes(b)) ||
    (a === 'memory' && n >= 2 && (b === 'malloc-stats' || b === 'doctor')) ||
    (a === 'cluster' && n === 2 && (b === 'nodes' || b === 'info')) ||
    (a === 'client' && n >= 2 && (b === 'list' || b === 'info')) ||
    (a === 'latency' && ((n === 3 && b === 'graph') || (n === 2 && b === 'doctor')))
  );
}

/** A string's payload: after the `txt:`-style format prefix for verbatim strings. */
function payload(buf: Buffer, n: RespNode): string {
  const s = buf.toString('latin1', n.valueStart, n.valueEnd);
  return n.type === T_VERBATIM ? s.slice(4) : s;
}

function isNil(n: RespNode): boolean {
  return n.type === T_NULL || n.length === -1;
}

/** A bulk string quoted as redis-cli quotes it: C escapes, other unprintable bytes as \xHH. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

const EMPTY: Record<number, string> = {
  [T_ARRAY]: '(empty array)\n',
  [T_MAP]: '(empty hash)\n',
  [T_SET]: '(empty set)\n',
  [T_PUSH]: '(empty push)\n',
};

/** Whether a value takes several lines on a terminal (a map's value then starts on a new line). */
function multiline(n: RespNode): boolean {
  const kids = n.children;
  if (!kids || isNil(n) || kids.length === 0) return false;
  if (n.type === T_MAP) return kids.length > 2 || multiline(kids[1]);
  return kids.length > 1 || multiline(kids[0]);
}

function tty(buf: Buffer, n: RespNode, prefix: string): string {
  if (isNil(n)) return '(nil)\n';
  switch (n.type) {
    case T_ERROR:
    case T_BULK_ERROR:
      return `(error) ${payload(buf, n)}\n`;
    case T_SIMPLE:
      return payload(buf, n) + '\n';
    case T_INTEGER:
      return `(integer) ${payload(buf, n)}\n`;
    case T_DOUBLE:
      return `(double) ${payload(buf, n)}\n`;
    case T_BIGNUM:
      return `(big number) ${payload(buf, n)}\n`;
    case T_BOOLEAN:
      return payload(buf, n) === 't' ? '(true)\n' : '(false)\n';
    case T_BULK:
      return quote(payload(buf, n)) + '\n';
    case T_VERBATIM:
      return payload(buf, n) + '\n';
  }
  const kids = n.children ?? [];
  if (kids.length === 0) return EMPTY[n.type] ?? '(empty aggregate type)\n';
  const map = n.type === T_MAP;
  const count = map ? kids.length / 2 : kids.length;
  const width = String(count).length;
  const inner = prefix + ' '.repeat(width + 2);
  const sep = n.type === T_SET ? '~' : map ? '#' : ')';
  let out = '';
  for (let i = 0; i < kids.length; i++) {
    const index = (map ? i / 2 : i) + 1;
    out += `${i === 0 ? '' : prefix}${String(index).padStart(width)}${sep} `;
    out += tty(buf, kids[i], inner);
    if (map) {
      const value = kids[++i];
      out = out.slice(0, -1) + ' => ';
      if (multiline(value)) out += '\n' + inner;
      out += tty(buf, value, inner);
    }
  }
  return out;
}

function raw(buf: Buffer, n: RespNode): string {
  if (isNil(n)) return '';
  switch (n.type) {
    case T_ERROR:
    case T_BULK_ERROR:
      return payload(buf, n) + '\n';
    case T_BOOLEAN:
      return payload(buf, n) === 't' ? '(true)' : '(false)';
    case T_SIMPLE:
    case T_BULK:
    case T_VERBATIM:
    case T_INTEGER:
    case T_DOUBLE:
    case T_BIGNUM:
      return payload(buf, n);
  }
  const kids = n.children ?? [];
  if (n.type !== T_MAP) return kids.map((k) => raw(buf, k)).join('\n');
  const pairs: string[] = [];
  for (let i = 0; i + 1 < kids.length; i += 2) pairs.push(`${raw(buf, kids[i])} ${raw(buf, kids[i + 1])}`);
  return pairs.join('\n');
}
