/**
 * Pinned mode's data path reads every chunk into a buffer it reuses. These tests make the cases
 * where a write could still point into that buffer: a client that reads slowly (partial socket
 * writes of large replies) and a client that pipelines large requests faster than TLS takes them.
 * Every byte must arrive as sent, on the project's real TLS cluster.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sleep } from '../../scripts/lib/cluster.js';
import { encodeCommand } from '../../src/resp/encode.js';
import { type RunningTunnel, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
let tunnel: RunningTunnel;

beforeAll(async () => {
  tunnel = await startTunnel(seedArgs(description), { REDISCLI_AUTH: description.password });
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

/** The local port of the master that owns `key`: the seed's, or the one its MOVED names. */
async function portFor(key: string): Promise<number> {
  const reply = (await converse(7001, [['GET', key]], 1, () => true)).toString('latin1');
  const moved = /^-MOVED \d+ [^:]+:(\d+)/.exec(reply);
  return moved ? Number(moved[1]) : 7001;
}

/**
 * Sends the commands in one write and collects the replies; `readSlowly` pauses reading for a
 * while after each chunk, so the tunnel's writes to this client cannot finish at once.
 */
function converse(
  port: number,
  commands: Array<Array<string | Buffer>>,
  replies: number,
  done: (bytes: Buffer) => boolean,
  readSlowly = false,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let total = 0;
    s.setTimeout(60_000, () => s.destroy(new Error(`timeout after ${total} bytes`)));
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      total += d.length;
      const all = Buffer.concat(chunks);
      if (splitBulk(all).length >= replies && done(all)) {
        s.destroy();
        resolve(all);
      } else if (readSlowly) {
        s.pause();
        setTimeout(() => s.resume(), 5);
      }
    });
    s.on('error', reject);
    s.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
  });
}

/** Complete replies at the start of `buf`: simple lines and bulk strings only (what these tests get). */
function splitBulk(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const eol = buf.indexOf('\r\n', pos);
    if (eol < 0) break;
    if (buf[pos] !== 0x24) {
      out.push(buf.subarray(pos, eol));
      pos = eol + 2;
      continue;
    }
    const len = Number(buf.toString('latin1', pos + 1, eol));
    if (len < 0) {
      out.push(Buffer.alloc(0));
      pos = eol + 2;
      continue;
    }
    if (eol + 2 + len + 2 > buf.length) break;
    out.push(buf.subarray(eol + 2, eol + 2 + len));
    pos = eol + 2 + len + 2;
  }
  return out;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('the reused read buffers', () => {
  it('a client that reads slowly gets large pipelined replies intact', async () => {
    const key = 'datapath:{slow}';
    const port = await portFor(key);
    const values = Array.from({ length: 3 }, () => randomBytes(1 << 20));
    const sets = values.map((v, i) => ['SET', `${key}:${i}`, v]);
    await converse(port, sets, 3, () => true);
    const gets = Array.from({ length: 12 }, (_, i) => ['GET', `${key}:${i % 3}`]);
    const replies = splitBulk(await converse(port, gets, 12, () => true, true));
    expect(replies.length).toBe(12);
    replies.forEach((r, i) => expect(sha(r), `reply ${i}`).toBe(sha(values[i % 3])));
  });

  it('large requests pipelined faster than TLS takes them reach the node intact', async () => {
    const key = 'datapath:{fast}';
    const port = await portFor(key);
    const values = Array.from({ length: 16 }, () => randomBytes(512 << 10));
    const sets = values.map((v, i) => ['SET', `${key}:${i}`, v]);
    const acks = splitBulk(await converse(port, sets, 16, () => true));
    expect(acks.map((a) => a.toString())).toEqual(Array(16).fill('+OK'));
    await sleep(10);
    const gets = values.map((_, i) => ['GET', `${key}:${i}`]);
    const replies = splitBulk(await converse(port, gets, 16, () => true));
    replies.forEach((r, i) => expect(sha(r), `value ${i}`).toBe(sha(values[i])));
  });
});
