/**
 * A connection storm beyond the open-file limit, on the project's real TLS cluster: the tunnel,
 * run under `prlimit --nofile=256`, says so at startup, logs one clear line when it runs out,
 * refuses what it cannot serve, never crashes, and serves again once clients go.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../scripts/lib/cluster.js';
import { type RunningTunnel, redisCli, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
let tunnel: RunningTunnel;

beforeAll(async () => {
  tunnel = await startTunnel(
    [
      ...seedArgs(description),
      '--map',
      '127.0.0.11:7001=7081',
      '--map',
      '127.0.0.12:7002=7082',
      '--map',
      '127.0.0.13:7003=7083',
      '--map',
      '127.0.0.14:7004=7084',
      '--map',
      '127.0.0.15:7005=7085',
      '--map',
      '127.0.0.16:7006=7086',
    ],
    { REDISCLI_AUTH: description.password },
    30_000,
    ['prlimit', '--nofile=256:256'],
  );
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

describe('the open-file limit', () => {
  it('a storm of 400 clients beyond 256 open files: one clear line, refusals, no crash, then service again', async () => {
    expect(tunnel.stderr()).toContain('the open-file limit is 256: about 128 pinned clients at most');
    const sockets: net.Socket[] = [];
    let answered = 0;
    let refused = 0;
    await Promise.all(
      Array.from(
        { length: 400 },
        () =>
          new Promise<void>((done) => {
            const s = net.connect({ host: '127.0.0.1', port: 7081 }, () => s.write('PING\r\n'));
            sockets.push(s);
            s.setTimeout(15_000, () => s.destroy());
            let settled = false;
            const settle = (pong: boolean): void => {
              if (settled) return;
              settled = true;
              if (pong) answered++;
              else refused++; // closed, or an error reply naming the reason
              done();
            };
            s.once('data', (d: Buffer) => settle(d.toString() === '+PONG\r\n'));
            s.once('close', () => settle(false));
            s.on('error', () => undefined);
          }),
      ),
    );
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(400);
    expect(answered + refused).toBe(400);
    expect(tunnel.stderr()).toMatch(
      /near the open-file limit \(256\): new clients will be refused; raise it \(ulimit -n\)/,
    );
    expect(tunnel.proc.exitCode).toBeNull();
    for (const s of sockets) s.destroy();
    await waitFor(
      'the tunnel to serve again',
      15_000,
      async () => (await redisCli(['-p', '7081', 'PING'])) === 'PONG\n',
    );
  });
});
