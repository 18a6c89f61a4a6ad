import * as net from 'node:net';
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { ClusterDescription } from '../../../scripts/lib/cluster.js';

/**
 * A deliberately small RESP2/RESP3 client for the tests that compare a node and the tunnel: it
 * writes exactly the commands it is given (no handshake of its own), keeps push frames apart from
 * replies, and shares no code with src/, so a pairing bug in the tunnel cannot hide in it.
 */

/** A decoded reply: errors as `{ error }`, maps as `{ map: [k, v][] }`, pushes as `{ push }`. */
export type Reply =
  | string
  | number
  | null
  | boolean
  | { error: string }
  | { map: Array<[Reply, Reply]> }
  | { push: Reply[] }
  | Reply[];

/** Where a raw client connects: a tunnel port (plain), or a node directly (TLS, the project's CA). */
export interface RawTarget {
  host: string;
  port: number;
  caCert?: string;
}

export function nodeTarget(c: ClusterDescription, node = 0): RawTarget {
  return { host: c.nodes[node].ip, port: c.nodes[node].port, caCert: c.caCert };
}

export function tunnelTarget(port: number): RawTarget {
  return { host: '127.0.0.1', port };
}

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<(r: Reply) => void> = [];
  /** Push frames, in arrival order (RESP3 `>`). */
  readonly pushes: Reply[][] = [];
  /** Attribute frames seen before replies (RESP3 `|`). */
  readonly attributes: Reply[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static connect(t: RawTarget): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = t.caCert
        ? tls.connect({ host: t.host, port: t.port, ca: readFileSync(t.caCert), servername: undefined })
        : net.connect({ host: t.host, port: t.port });
      const ready = t.caCert ? 'secureConnect' : 'connect';
      socket.once(ready, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one command and resolves with its reply. */
  call(...args: Array<string | Buffer>): Promise<Reply> {
    return this.pipeline([args])[0];
  }

  /** Sends several commands in one write; one promise per reply, in order. */
  pipeline(commands: Array<Array<string | Buffer>>): Array<Promise<Reply>> {
    const out = commands.map(() => new Promise<Reply>((r) => this.waiting.push(r)));
    this.socket.write(Buffer.concat(commands.map(encode)));
    return out;
  }

  /**
   * Sends several commands as one byte stream cut at `cuts` (offsets into it), each piece `gapMs`
   * after the last, so the far end reads a request in parts; one promise per reply, in order. A
   * command given as bytes goes as it is (an inline line).
   */
  pipelineCut(
    commands: Array<Array<string | Buffer> | Buffer>,
    cuts: number[],
    gapMs = 50,
  ): Array<Promise<Reply>> {
    const out = commands.map(() => new Promise<Reply>((r) => this.waiting.push(r)));
    const bytes = Buffer.concat(commands.map((c) => (Buffer.isBuffer(c) ? c : encode(c))));
    const ends = [...cuts, bytes.length];
    ends.forEach((end, i) =>
      setTimeout(() => this.socket.write(bytes.subarray(i === 0 ? 0 : ends[i - 1], end)), i * gapMs),
    );
    return out;
  }

  /** Bytes as they are, for malformed input. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves with the reply, or with 'timeout' after `ms`. */
  async callWithin(ms: number, ...args: string[]): Promise<Reply | 'timeout'> {
    return within(this.call(...args), ms);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const got = parse(this.buf, 0);
      if (!got) return;
      this.buf = this.buf.subarray(got.end);
      const v = got.value;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'push' in v) this.pushes.push(v.push);
      else if (got.attribute) this.attributes.push(v);
      else this.waiting.shift()?.(v);
    }
  }
}

export function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}

function encode(args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

interface Parsed {
  value: Reply;
  end: number;
  attribute?: boolean;
}

/** One frame at `pos`, or null when it is not complete yet. */
function parse(b: Buffer, pos: number): Parsed | null {
  const nl = b.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const type = String.fromCharCode(b[pos]);
  const line = b.toString('latin1', pos + 1, nl);
  const next = nl + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
    case '!':
      if (type === '!') return bulkish(b, next, Number(line), (s) => ({ error: s }));
      return { value: { error: line }, end: next };
    case ':':
      return { value: Number(line), end: next };
    case ',':
      return { value: Number(line), end: next };
    case '_':
      return { value: null, end: next };
    case '#':
      return { value: line === 't', end: next };
    case '(':
      return { value: line, end: next };
    case '$':
    case '=':
      if (line === '-1') return { value: null, end: next };
      return bulkish(b, next, Number(line), (s) => s);
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      if (line === '-1') return { value: null, end: next };
      const n = Number(line) * (type === '%' || type === '|' ? 2 : 1);
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const got = parse(b, at);
        if (!got) return null;
        items.push(got.value);
        at = got.end;
      }
      if (type === '>') return { value: { push: items }, end: at };
      if (type === '%' || type === '|') {
        const map: Array<[Reply, Reply]> = [];
        for (let i = 0; i < items.length; i += 2) map.push([items[i], items[i + 1]]);
        return { value: { map }, end: at, attribute: type === '|' };
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`raw client: unknown type byte ${JSON.stringify(type)}`);
  }
}

function bulkish(b: Buffer, start: number, len: number, wrap: (s: string) => Reply): Parsed | null {
  if (b.length < start + len + 2) return null;
  return { value: wrap(b.toString('latin1', start, start + len)), end: start + len + 2 };
}

/** The error text of a reply, or null when it is not an error. */
export function errorOf(r: Reply | 'timeout'): string | null {
  return r !== null && typeof r === 'object' && !Array.isArray(r) && 'error' in r ? r.error : null;
}

/** A map reply's value for `key` (HELLO's `id`, `proto`...). */
export function field(r: Reply, key: string): Reply | undefined {
  if (r !== null && typeof r === 'object' && !Array.isArray(r) && 'map' in r)
    return r.map.find(([k]) => k === key)?.[1];
  if (Array.isArray(r)) {
    for (let i = 0; i + 1 < r.length; i += 2) if (r[i] === key) return r[i + 1];
  }
  return undefined;
}
