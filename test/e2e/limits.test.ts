/**
 * A connection storm beyond the open-file limit, on the project's real TLS cluster: the tunnel,
 * run under `prlimit --nofile=256`, says at startup how many clients that allows, logs one clear
 * line when it is full, refuses the rest with an error reply that says why, keeps serving the
 * clients it took (their shared connection needs no new descriptor), never crashes, and serves
 * again once clients go.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../scripts/lib/cluster.js';
import { type RunningTunnel, redisCli, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const SMART_PORT = 7089;
const REFUSAL =
  '-ERR max number of clients reached: the tunnel is at its open-file limit (256); raise it (ulimit -n)\r\n';
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
      '--mode',
      'both',
      '--smart-port',
      String(SMART_PORT),
    ],
    { REDISCLI_AUTH: description.password },
    30_000,
    ['prlimit', '--nofile=256:256'],
  );
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

/** 400 clients at once on `port`, each sending PING and held open: how each was answered. */
async function storm(
  port: number,
): Promise<{ answered: number; refused: number; others: string[]; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  let answered = 0;
  let refused = 0;
  const others: string[] = [];
  await Promise.all(
    Array.from(
      { length: 400 },
      () =>
        new Promise<void>((done) => {
          const s = net.connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
          sockets.push(s);
          s.setTimeout(15_000, () => s.destroy());
          let settled = false;
          const settle = (reply: string): void => {
            if (settled) return;
            settled = true;
            if (reply === '+PONG\r\n') answered++;
            else if (reply === REFUSAL) refused++;
            else others.push(reply);
            done();
          };
          s.once('data', (d: Buffer) => settle(d.toString()));
          s.once('close', () => settle('(closed without a reply)'));
          s.on('error', () => undefined);
        }),
    ),
  );
  return { answered, refused, others, sockets };
}

describe('the open-file limit', () => {
  // 256, less 64 kept and 6 nodes × (listener, shared connection, 2 warm ones).
  for (const [where, port] of [
    ['a pinned listener', 7081],
    ['the smart port', SMART_PORT],
  ] as const)
    it(`a storm of 400 clients on ${where} beyond 256 open files: one clear line, refusals, no crash, then service again`, async () => {
      expect(tunnel.stderr()).toContain(
        'the open-file limit is 256: about 168 clients at most, 84 where each',
      );
      const { answered, refused, others, sockets } = await storm(port);
      console.log(
        `storm on ${where}: ${answered} answered, ${refused} refused with the reason, others: ${others.length}`,
      );
      // Every client took one of the two answers; those let in were all served.
      expect(others).toEqual([]);
      expect(answered).toBe(168);
      expect(refused).toBe(400 - 168);
      expect(tunnel.stderr()).toMatch(
        /at the open-file limit \(256\): clients and their own connections hold 168 descriptors, the tunnel keeps the rest; new clients are refused with an error; raise it \(ulimit -n\)/,
      );
      expect(tunnel.proc.exitCode).toBeNull();
      for (const s of sockets) s.destroy();
      await waitFor(
        'the tunnel to serve again',
        15_000,
        async () => (await redisCli(['-p', String(port), 'PING'])) === 'PONG\n',
      );
    });
});
