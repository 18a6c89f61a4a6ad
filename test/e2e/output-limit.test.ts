/**
 * A client that asks for large replies and does not read them is closed once the tunnel holds more
 * than --client-output-limit of them for it, as a node closes a client past its output buffer
 * limit; the tunnel's memory stays bounded and other clients go on. The node's own behaviour is
 * shown first, with its limit set to the same figure for the length of the test.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RawTarget, nodeTarget, tunnelTarget } from './helpers/raw-client.js';
import { type RunningTunnel } from './helpers/tunnel.js';
import { firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6395;
const LIMIT = 8 * 1024 * 1024;
const VALUE_BYTES = 16 * 1024 * 1024;
const GETS = 16;
let tunnel: RunningTunnel;
let pinnedPort: number;
let key: string;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const connect = tunnelClientOf(description);

beforeAll(async () => {
  key = keyForSlot((await firstNodeRange(cluster, description)).start, 'output-limit:');
  const c = await connect(nodeTarget(description, 0));
  expect(await c.call('SET', key, Buffer.alloc(VALUE_BYTES, 0x61))).toBe('OK');
  c.close();
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT, [
    '--client-output-limit',
    String(LIMIT),
  ]));
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

/**
 * Pipelines GETs of the large value and reads nothing for 3 s; then reads what is left. Returns
 * whether the other side closed, and how many bytes came: all 16 replies, or what was sent before
 * the close.
 */
async function neverReads(target: RawTarget): Promise<{ closed: boolean; bytes: number }> {
  const socket = target.caCert
    ? tls.connect({ host: target.host, port: target.port, ca: readFileSync(target.caCert) })
    : net.connect({ host: target.host, port: target.port });
  await new Promise((r) => socket.once(target.caCert ? 'secureConnect' : 'connect', r));
  socket.on('error', () => {});
  let closed = false;
  socket.once('close', () => (closed = true));
  socket.pause();
  const get = `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`;
  const auth = target.caCert
    ? `*3\r\n$4\r\nAUTH\r\n$${description.user.length}\r\n${description.user}\r\n$${description.password.length}\r\n${description.password}\r\n`
    : '';
  socket.write(auth + get.repeat(GETS));
  await new Promise((r) => setTimeout(r, 3000));
  let bytes = 0;
  socket.on('data', (d: Buffer) => (bytes += d.length));
  socket.resume();
  for (let waited = 0; !closed && waited < 10_000; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
  return { closed, bytes };
}

describe('a client that does not read its replies', () => {
  it(`is closed past the limit (${LIMIT} bytes), the tunnel's memory stays bounded, others go on`, async () => {
    const admin = await connect(nodeTarget(description, 0));
    const before = (await admin.call('CONFIG', 'GET', 'client-output-buffer-limit')) as string[];
    try {
      expect(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', `normal ${LIMIT} 0 0`)).toBe(
        'OK',
      );
      const node = await neverReads(nodeTarget(description, 0));
      console.log(`the node: ${JSON.stringify(node)}`);
      expect(node.closed).toBe(true);
      expect(node.bytes).toBeLessThan(GETS * VALUE_BYTES);
    } finally {
      expect(await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', before[1])).toBe('OK');
      admin.close();
    }
    const pid = tunnel.proc.pid as number;
    // Smart mode first: each mode is measured from a tunnel that has not held large replies yet.
    for (const target of [tunnelTarget(SMART_PORT), tunnelTarget(pinnedPort)]) {
      const rss = rssBytes(pid);
      const got = await neverReads(target);
      const grew = rssBytes(pid) - rss;
      console.log(
        `port ${target.port}: ${JSON.stringify(got)}; the tunnel's RSS grew by ${(grew / 1048576).toFixed(1)} MiB`,
      );
      expect(got.closed).toBe(true);
      expect(got.bytes).toBeLessThan(GETS * VALUE_BYTES);
      const other = await connect(target);
      expect(await other.callWithin(2000, 'PING')).toBe('PONG');
      other.close();
      // The requests asked for 16 x 16 MiB, which the tunnel used to hold whole: a pinned client's
      // in its reply buffers, a smart client's by joining each reply before dropping it.
      expect(grew).toBeLessThan(12 * LIMIT);
    }
    expect(tunnel.stderr()).toMatch(
      /closed: \d+ bytes of replies unread, over --client-output-limit \(8388608\)/,
    );
  });
});
