/**
 * Randomized tests with a fixed seed list (reproducible; the seed is in each failure message):
 * random valid reply streams must pass through byte for byte in random chunkings; random and
 * mutated garbage must only ever raise ProtocolError, never anything else, and never hang.
 */
import { describe, expect, it } from 'vitest';
import { newSession } from '../helpers/session.js';
import { ReplyScanner } from '../../src/resp/reply-scanner.js';
import { RequestParser } from '../../src/resp/request-parser.js';
import { fakeLookup } from '../helpers/fake-map.js';
import { drive } from '../helpers/drive.js';
import { protocolErrorCode } from '../helpers/protocol-error.js';
import { cmd } from '../helpers/resp.js';
import { seeded as rng } from '../helpers/seeded.js';

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: () => number, n: number): number => Math.floor(r() * n);

function randomText(r: () => number, max: number, binary: boolean): string {
  const n = int(r, max);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(binary ? int(r, 256) : 32 + int(r, 95));
  return s;
}

/** A random value of any RESP2/RESP3 type (not a top-level push, error or attribute). */
function value(r: () => number, depth: number): string {
  const leaf = ['+', ':', '$', '_', '#', ',', '(', '!', '=', '$-1', '*-1'];
  // A push never sits inside another frame (the tracker fails safe when one does, by design).
  const agg = depth === 0 ? ['*', '%', '~', '>'] : ['*', '%', '~'];
  const t = depth < 4 && r() < 0.35 ? pick(r, agg) : pick(r, leaf);
  switch (t) {
    case '+':
      return `+${randomText(r, 20, false)}\r\n`;
    case ':':
      return `:${int(r, 2e9) - 1e9}\r\n`;
    case '$': {
      const s = randomText(r, r() < 0.05 ? 5000 : 40, true);
      return `$${s.length}\r\n${s}\r\n`;
    }
    case '_':
      return '_\r\n';
    case '#':
      return r() < 0.5 ? '#t\r\n' : '#f\r\n';
    case ',':
      return `,${(r() * 1000).toFixed(3)}\r\n`;
    case '(':
      return `(${int(r, 1e9)}${int(r, 1e9)}\r\n`;
    case '!': {
      const s = `ERR ${randomText(r, 20, false)}`;
      return `!${s.length}\r\n${s}\r\n`;
    }
    case '=': {
      const s = randomText(r, 30, true);
      return `=${s.length + 4}\r\ntxt:${s}\r\n`;
    }
    case '$-1':
    case '*-1':
      return `${t}\r\n`;
    default: {
      const n = int(r, 5);
      const count = t === '%' ? n * 2 : n;
      let out = `${t}${n}\r\n`;
      for (let i = 0; i < count; i++) {
        if (r() < 0.05) out += `|1\r\n+meta\r\n:${i}\r\n`; // attribute before an element
        out += value(r, depth + 1);
      }
      return out;
    }
  }
}

/** Cuts data into random chunks (sometimes single bytes). */
function chunk(r: () => number, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < data.length;) {
    const n = r() < 0.2 ? 1 : 1 + int(r, 300);
    out.push(data.subarray(p, p + n));
    p += n;
  }
  return out;
}

const SEEDS = Array.from({ length: 60 }, (_, i) => 1000 + i * 7919);

describe('random valid reply streams', () => {
  for (const seed of SEEDS) {
    it(`pass through byte for byte (seed ${seed})`, () => {
      const r = rng(seed);
      const frames: string[] = [];
      for (let i = 0; i < 40; i++) {
        // top-level frames: values, plus non-consuming attributes now and then
        if (r() < 0.05) frames.push('|1\r\n+hint\r\n:1\r\n');
        frames.push(value(r, 0).replace(/^>/, '*'));
      }
      const replies = Buffer.from(frames.join(''), 'latin1');
      const replyCount = frames.filter((f) => f[0] !== '|').length;

      // The scanner finds exactly the generated frames.
      const scanner = new ReplyScanner();
      const found: string[] = [];
      drive(
        (b, p) => scanner.next(b, p),
        chunk(r, replies),
        (bytes) => found.push(bytes),
      );
      expect(found, `seed ${seed}`).toEqual(frames);

      // Through a whole session answering GETs: unchanged, nothing uncertain.
      let out = '';
      const uncertain: string[] = [];
      const session = newSession({
        lookup: fakeLookup,
        toServer: () => {},
        toClient: (b) => (out += b.toString('latin1')),
        onUncertain: (x) => uncertain.push(x),
      });
      session.fromClient(
        Buffer.from(Array.from({ length: replyCount }, (_, i) => cmd('GET', `k${i}`)).join(''), 'latin1'),
      );
      for (const c of chunk(r, replies)) session.fromServer(Buffer.from(c));
      expect(out === replies.toString('latin1'), `seed ${seed}`).toBe(true);
      expect(uncertain, `seed ${seed}`).toEqual([]);
    });
  }
});

describe('random garbage', () => {
  for (const seed of SEEDS) {
    it(`raises only ProtocolError, on either side (seed ${seed})`, () => {
      const r = rng(seed);
      const codes = new Set<string>();
      for (let round = 0; round < 30; round++) {
        // Half pure noise, half a valid stream with a few bytes flipped, dropped or repeated.
        let data: Buffer;
        if (round % 2 === 0) {
          data = Buffer.from(randomText(r, 400, true), 'latin1');
        } else {
          const b = Buffer.from(Array.from({ length: 10 }, () => value(r, 0)).join(''), 'latin1');
          for (let i = 0; i < 3; i++) b[int(r, b.length)] = int(r, 256);
          data = b;
        }
        const session = newSession({
          lookup: fakeLookup,
          toServer: () => {},
          toClient: () => {},
          limits: { maxFrameBytes: 1 << 16 },
        });
        session.fromClient(Buffer.from(cmd('GET', 'x').repeat(20), 'latin1'));
        codes.add(protocolErrorCode(() => chunk(r, data).forEach((c) => session.fromServer(c))));
        const requests = newSession({ lookup: fakeLookup, toServer: () => {}, toClient: () => {} });
        codes.add(protocolErrorCode(() => chunk(r, data).forEach((c) => requests.fromClient(c))));
        const parser = new RequestParser({ names: ['get'], maxFrameBytes: 1 << 16 });
        codes.add(
          protocolErrorCode(() => {
            drive(
              (b, p) => parser.next(b, p),
              chunk(r, data),
              () => {},
            );
          }),
        );
      }
      expect(codes.size, `seed ${seed}`).toBeGreaterThan(1);
    });
  }
});
