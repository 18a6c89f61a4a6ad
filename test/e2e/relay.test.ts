/**
 * The latency path: a tunnel that reaches the project's real TLS cluster through the latency relay
 * (a test tool standing in for a WAN: each direction delayed). On the shared connection, or with
 * the warm pool, a new client's first command costs one round trip to the cluster, as on an open
 * connection; with neither, the TCP, TLS and AUTH round trips come first. The delay is large (100 ms each way) so that the counts, not
 * the machine's speed, decide: each bound has a full round trip of margin.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sleep } from '../../scripts/lib/cluster.js';
import { type LatencyRelay, startLatencyRelay } from '../../scripts/lib/latency-relay.js';
import { timedConversation } from '../../bench/measure.js';
import { type RunningTunnel, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const DELAY_MS = 100;
const RTT = 2 * DELAY_MS;
const relays: LatencyRelay[] = [];
const tunnels: RunningTunnel[] = [];

/** A tunnel dialling every node through its relay, on a loopback address of its own. */
async function farTunnel(bind: string, pool: number, share: boolean): Promise<RunningTunnel> {
  const resolve = description.nodes.flatMap((n, i) => ['--resolve', `${n.ip}:${n.port}:${relays[i].host}`]);
  const t = await startTunnel(
    [
      ...seedArgs(description),
      ...resolve,
      '--bind',
      bind,
      '--pool',
      String(pool),
      share ? '--share' : '--no-share',
    ],
    { REDISCLI_AUTH: description.password },
    60_000,
  );
  tunnels.push(t);
  return t;
}

/** Median ms of `count` new connections to `host`:7001, each sending PING and closing on PONG. */
async function newConnectionMs(host: string, count: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    ms.push(await timedConversation(() => net.connect({ host, port: 7001 }), 'PING\r\n', '+PONG\r\n'));
    await sleep(3 * RTT); // the pool refills through the relay
  }
  return ms.sort((a, b) => a - b)[Math.floor(count / 2)];
}

beforeAll(async () => {
  for (const [i, n] of description.nodes.entries())
    relays.push(
      await startLatencyRelay(
        { host: `127.0.0.${131 + i}`, port: n.port },
        { host: n.ip, port: n.port },
        DELAY_MS,
      ),
    );
});

afterAll(async () => {
  for (const t of tunnels) expect(await t.stop()).toBe(0);
  for (const r of relays) await r.close();
});

describe('through the latency relay', () => {
  it('on the shared connection or with the warm pool a new client is answered after one round trip; with neither, after three or more', async () => {
    await farTunnel('127.0.0.4', 2, false);
    await farTunnel('127.0.0.5', 0, false);
    await farTunnel('127.0.0.6', 0, true);
    await sleep(4 * RTT); // the pool fills through the relay
    // The shared connection opens on first use: that first client pays its handshake.
    await newConnectionMs('127.0.0.6', 1);
    const shared = await newConnectionMs('127.0.0.6', 5);
    const pooled = await newConnectionMs('127.0.0.4', 5);
    const unpooled = await newConnectionMs('127.0.0.5', 3);
    console.log(
      `new connection through the relay (round trip ${RTT} ms): shared ${shared.toFixed(0)} ms, pooled ${pooled.toFixed(0)} ms, neither ${unpooled.toFixed(0)} ms`,
    );
    // One round trip (PING), against TCP + TLS 1.3 + AUTH + PING.
    for (const [name, ms] of [
      ['shared', shared],
      ['pooled', pooled],
    ] as const) {
      expect(ms, `${name} ${ms} ms`).toBeGreaterThanOrEqual(RTT);
      expect(ms, `${name} ${ms} ms`).toBeLessThan(2 * RTT);
    }
    expect(unpooled, `unpooled ${unpooled} ms`).toBeGreaterThanOrEqual(3 * RTT);
  });
});
