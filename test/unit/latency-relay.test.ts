/** The latency relay (a test tool): each direction delayed, order kept, the handshake's round trip added. */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LatencyRelay, startLatencyRelay } from '../../scripts/lib/latency-relay.js';

const DELAY = 30;
let echo: net.Server;
let relay: LatencyRelay;

beforeAll(async () => {
  echo = net.createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const port = (echo.address() as net.AddressInfo).port;
  relay = await startLatencyRelay({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port }, DELAY);
});

afterAll(async () => {
  await relay.close();
  echo.close();
});

describe('latency relay', () => {
  it('first reply after the handshake round trip plus one more; later ones after one round trip; in order', async () => {
    const s = net.connect({ host: relay.host, port: relay.port });
    await new Promise((r) => s.once('connect', r));
    const got: string[] = [];
    const at: number[] = [];
    const started = Date.now();
    s.on('data', (d: Buffer) => {
      got.push(d.toString());
      at.push(Date.now() - started);
    });
    s.write('a');
    await new Promise((r) => setTimeout(r, 6 * DELAY));
    const second = Date.now();
    s.write('b');
    s.write('c');
    await new Promise((r) => setTimeout(r, 4 * DELAY));
    s.destroy();
    expect(got.join('')).toBe('abc');
    expect(at[0]).toBeGreaterThanOrEqual(4 * DELAY - 2); // SYN/SYN-ACK, then there and back
    expect(at[at.length - 1] - (second - started)).toBeGreaterThanOrEqual(2 * DELAY - 2);
  });
});
