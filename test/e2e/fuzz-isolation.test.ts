/**
 * Bad input closes only the client that sent it. Clients send random bytes, truncated frames,
 * unterminated or unreadable inline lines and lengths a node refuses, then close, while other
 * clients run a workload on the same node. The workload sees zero errors and no stall, on a node
 * directly (which proves what a node does), then on the tunnel's pinned listener and on its smart
 * port.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RawTarget, nodeTarget, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel } from './helpers/tunnel.js';
import { firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';
import { seeded as random } from '../helpers/seeded.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6393;
/** Bounds: fuzzing clients, workload rounds per client, and the longest a reply may take. */
const FUZZERS = 120;
const ROUNDS = 150;
const STALL_MS = 1500;
let tunnel: RunningTunnel;
let pinnedPort: number;
let keys: string[];

/** The bad inputs, by kind; `i` picks one and seeds the random bytes. */
function badInput(i: number): Buffer {
  const next = random(i + 1);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
  switch (i % 7) {
    case 0: // random bytes with one bare LF and no CRLF, as the report that found the bug
      return Buffer.concat([
        bytes(120).map((b) => (b === 10 || b === 13 ? 65 : b)),
        Buffer.from('\n'),
        bytes(112).map((b) => (b === 10 || b === 13 ? 66 : b)),
      ]);
    case 1: // random bytes
      return bytes(1 + Math.floor(next() * 400));
    case 2: // a multibulk cut short
      return Buffer.from('*3\r\n$3\r\nSET\r\n$4\r\nfuzz\r\n$100\r\nshort');
    case 3: // an inline line with no end
      return Buffer.from('SET fuzz "never ends');
    case 4: // unbalanced quotes, ended
      return Buffer.from('GET "unbalanced\r\nPING\r\n');
    case 5: // lengths a lax reader takes but a node refuses (a leading zero, -0), then more
      return Buffer.from(
        ['*02\r\n$3\r\nGET\r\n$4\r\nfuzz\r\n', '*2\r\n$03\r\nGET\r\n$4\r\nfuzz\r\n', '*-0\r\n'][
          Math.floor(next() * 3)
        ] + '*1\r\n$4\r\nPING\r\n',
      );
    default: // a bad length, then more
      return Buffer.from('*2\r\n$-7\r\nGET\r\n*1\r\n$4\r\nPING\r\n');
  }
}

const connect = tunnelClientOf(description);

beforeAll(async () => {
  const own = await firstNodeRange(cluster, description);
  keys = Array.from({ length: 4 }, (_, i) => keyForSlot(own.start + i, 'fuzz:'));
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT));
});

afterAll(async () => {
  const code = await tunnel?.stop();
  if (code !== 0) console.log(`STDERR ${tunnel.stderr().slice(-3000)}`);
  expect(code).toBe(0);
});

/** Workload clients doing SET/GET rounds while the fuzzers run; errors and the slowest reply. */
async function underFuzz(
  target: RawTarget,
): Promise<{ errors: string[]; rounds: number; slowestMs: number }> {
  const workers = await Promise.all(keys.map(() => connect(target)));
  const errors: string[] = [];
  let rounds = 0;
  let slowestMs = 0;
  const work = workers.map(async (c, w) => {
    for (let r = 0; r < ROUNDS; r++) {
      const started = Date.now();
      const got = await within(
        Promise.all(
          c.pipeline([
            ['SET', keys[w], `v${r}`],
            ['GET', keys[w]],
          ]),
        ),
        STALL_MS,
      );
      slowestMs = Math.max(slowestMs, Date.now() - started);
      if (got === 'timeout') {
        errors.push(`worker ${w} round ${r}: no reply within ${STALL_MS} ms`);
        return;
      }
      if (got[0] !== 'OK' || got[1] !== `v${r}`)
        errors.push(`worker ${w} round ${r}: ${JSON.stringify(got)}`);
      rounds++;
    }
  });
  const fuzz = (async () => {
    for (let i = 0; i < FUZZERS; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, FUZZERS - i) }, async (_, j) => {
          const f = await connect(target);
          f.writeRaw(badInput(i + j));
          await new Promise((r) => setTimeout(r, 20));
          f.close();
        }),
      );
    }
  })();
  await Promise.all([...work, fuzz]);
  for (const c of workers) c.close();
  // And a client that comes after all of it is answered.
  const late = await connect(target);
  const pong = await late.callWithin(STALL_MS, 'PING');
  late.close();
  if (pong !== 'PONG') errors.push(`a new client's PING after the fuzzing: ${JSON.stringify(pong)}`);
  return { errors, rounds, slowestMs };
}

describe('bad input closes only its own client', () => {
  for (const [name, target] of [
    ['a node directly', () => nodeTarget(description, 0)],
    ['the pinned listener', () => tunnelTarget(pinnedPort)],
    ['the smart port', () => tunnelTarget(SMART_PORT)],
  ] as const) {
    it(`${name}: ${FUZZERS} clients send bad input and close; the workload sees no error and no stall`, async () => {
      const r = await underFuzz(target());
      console.log(
        `fuzz on ${name}: ${r.rounds} rounds, slowest ${r.slowestMs} ms, errors: ${r.errors.length}`,
      );
      expect(r.errors).toEqual([]);
      expect(r.rounds).toBe(keys.length * ROUNDS);
    });
  }
});
