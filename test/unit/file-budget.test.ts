/**
 * The open-file budget on its own: clients are admitted up to the limit less what the tunnel
 * keeps, the next is answered with the reason and closed, the at-the-limit line is logged once per
 * interval, and what is released is admitted again. Real loopback sockets stand for clients.
 */
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { FileBudget, reservedFiles } from '../../src/net/file-budget.js';
import { TunnelStats } from '../../src/net/stats.js';

let server: net.Server;
const accepted: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer({ pauseOnConnect: true }, (s) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  for (const s of accepted) s.destroy();
  await new Promise((r) => server.close(r));
});

/** A client of the test server: resolves with its server side and what the client reads. */
async function client(): Promise<{ side: net.Socket; reply: Promise<string> }> {
  const count = accepted.length;
  const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  let text = '';
  c.on('data', (d: Buffer) => (text += d.toString()));
  const reply = new Promise<string>((r) => c.on('close', () => r(text)));
  while (accepted.length === count) await new Promise((r) => setTimeout(r, 5));
  return { side: accepted[accepted.length - 1], reply };
}

describe('FileBudget', () => {
  it('reserves 64 descriptors and, per node, a listener, the shared connection and the warm pool', () => {
    expect(reservedFiles(6, 2)).toBe(64 + 6 * 4);
    expect(reservedFiles(6, 0)).toBe(64 + 6 * 2);
  });

  it('admits up to the limit less the reserve, refuses the next with the reason, admits again after a release', async () => {
    let logged = '';
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => (logged += d.toString()));
    const stats = new TunnelStats();
    const budget = new FileBudget(70, () => 67, stats, createLogger('warn', 'text', stream));
    expect(budget.capacity).toBe(3);
    for (let i = 0; i < 3; i++) expect(budget.admit((await client()).side)).toBe(true);
    const refused = await client();
    expect(budget.admit(refused.side)).toBe(false);
    expect(await refused.reply).toBe(
      '-ERR max number of clients reached: the tunnel is at its open-file limit (70); raise it (ulimit -n)\r\n',
    );
    expect(budget.admit((await client()).side)).toBe(false);
    expect(stats.errors.get('file-limit')).toBe(2);
    // One line for both refusals: the second is within the interval.
    expect(
      logged.match(/at the open-file limit \(70\): clients and their own connections hold 3/g),
    ).toHaveLength(1);
    budget.release();
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
  });

  it('with no known limit, refuses nothing', () => {
    const budget = new FileBudget(null, () => 1e9, new TunnelStats(), createLogger('error', 'text'));
    expect(budget.capacity).toBeNull();
    for (let i = 0; i < 1000; i++) expect(budget.take()).toBe(true);
  });
});
