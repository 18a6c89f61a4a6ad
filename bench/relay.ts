/**
 * What a user far from the cluster sees: the latency relay (a test tool) in front of every node,
 * delaying each direction by D ms, and a second tunnel dialling the nodes through it (--resolve).
 * New-connection latency (connect + PING + close) through that tunnel and directly (TLS + AUTH +
 * PING) through the same relay, in milliseconds and in round trips. BENCH_ONLY=relay for these
 * rows alone; BENCH_RELAY_MS sets D (default 20).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { RunningCluster } from '../scripts/lib/cluster.js';
import { type LatencyRelay, startLatencyRelay } from '../scripts/lib/latency-relay.js';
import { encodeCommand } from '../src/resp/encode.js';
import { failoverRows } from './failover.js';
import { median, redisBenchmark, startTunnel, timedConversation } from './measure.js';

/** Where the far tunnel listens: a loopback address of its own, so its ports clash with nothing. */
const FAR_BIND = '127.0.0.2';

/**
 * redis-benchmark -c 50 through the relay, to the tunnel that dials through it and directly over
 * TLS through the same relay: the tunnel should add no round trip, so within 10 % at -P 16.
 */
async function relayThroughput(viaTunnel: string[], direct: string[], rtt: number): Promise<string[]> {
  const rows = [
    `through the latency relay: redis-benchmark -c 50, requests/s (each request waits ${rtt} ms at least)`,
  ];
  for (const [pipeline, requests] of [
    [1, 5000],
    [16, 80_000],
  ]) {
    const o = { clients: 50, requests, pipeline };
    const t = await redisBenchmark(viaTunnel, o);
    const d = await redisBenchmark(direct, o);
    rows.push(
      `-P ${String(pipeline).padEnd(3)} direct TLS SET ${Math.round(d.set.rps)} GET ${Math.round(d.get.rps)}; tunnel SET ${Math.round(t.set.rps)} (${(t.set.rps / d.set.rps).toFixed(2)}x) GET ${Math.round(t.get.rps)} (${(t.get.rps / d.get.rps).toFixed(2)}x)${pipeline === 16 ? '; target >= 0.90x' : ''}`,
    );
  }
  return rows;
}

export async function relayRows(cluster: RunningCluster, delayMs: number, count: number): Promise<string[]> {
  const relays: LatencyRelay[] = [];
  let tunnel: ChildProcess | null = null;
  try {
    for (const [i, n] of cluster.nodes.entries())
      relays.push(
        await startLatencyRelay(
          { host: `127.0.0.${111 + i}`, port: n.port },
          { host: n.ip, port: n.port },
          delayMs,
        ),
      );
    const resolveRules = cluster.nodes.flatMap((n, i) => [
      '--resolve',
      `${n.ip}:${n.port}:127.0.0.${111 + i}`,
    ]);
    tunnel = await startTunnel(cluster, ['--bind', FAR_BIND, ...resolveRules]);
    await new Promise((r) => setTimeout(r, 8 * delayMs + 500)); // the warm pool fills over the relay
    const node = cluster.nodes[2];
    const ca = readFileSync(cluster.certs.caCert);
    const { user, password } = cluster.spec;
    const authAndPing = Buffer.concat([encodeCommand(['AUTH', user, password]), Buffer.from('PING\r\n')]);
    const far = (): net.Socket => net.connect({ host: FAR_BIND, port: node.port, noDelay: true });
    const direct = (): net.Socket =>
      tls.connect({
        host: '127.0.0.113',
        port: node.port,
        ca,
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(node.ip, cert),
      });
    const viaTunnel: number[] = [];
    const viaDirect: number[] = [];
    for (let i = 0; i < count; i++) {
      viaTunnel.push(await timedConversation(far, 'PING\r\n', '+PONG\r\n'));
      viaDirect.push(await timedConversation(direct, authAndPing, '+OK\r\n+PONG\r\n'));
      await new Promise((r) => setTimeout(r, 4 * delayMs)); // the pool refills over the relay
    }
    const rtt = 2 * delayMs;
    const t = median(viaTunnel);
    const d = median(viaDirect);
    const throughput = await relayThroughput(
      ['-h', FAR_BIND, '-p', String(node.port)],
      [
        '--tls',
        '--cacert',
        cluster.certs.caCert,
        '--sni',
        node.ip,
        '-h',
        '127.0.0.113',
        '-p',
        String(node.port),
        '--user',
        user,
        '-a',
        password,
      ],
      rtt,
    );
    return [
      '',
      `through the latency relay (${delayMs} ms each way, round trip ${rtt} ms): ${count} new connections, connect + PING + close; median`,
      `direct TLS + AUTH + PING   ${d.toFixed(1)} ms  (${(d / rtt).toFixed(2)} round trips)`,
      `through the tunnel         ${t.toFixed(1)} ms  (${(t / rtt).toFixed(2)} round trips; ${(t / d).toFixed(2)}x direct; target <= 1.3 round trips)`,
      ...throughput,
      // Last: it kills the master the rows above used.
      ...(await failoverRows(
        cluster,
        2,
        FAR_BIND,
        relays.map((r) => ({ host: r.host, port: r.port })),
        delayMs,
      )),
    ];
  } finally {
    if (tunnel) {
      tunnel.kill('SIGTERM');
      await new Promise((r) => tunnel?.once('exit', r));
    }
    for (const r of relays) await r.close();
  }
}
