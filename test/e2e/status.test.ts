/**
 * The status page on a real TLS cluster of its own (127.0.0.81-83, three masters): /healthz
 * before, during and after readiness and while every node is down, /status, and /metrics read
 * back by a Prometheus text parser.
 */
import * as net from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS, type RunningCluster, startCluster, waitFor } from '../../scripts/lib/cluster.js';
import { type RunningTunnel, redisCli, runTunnelToExit, startTunnel } from './helpers/tunnel.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';

const STATUS = 9187;
let cluster: RunningCluster;
let tunnel: RunningTunnel;

async function get(path: string, port = STATUS): Promise<{ code: number; body: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { code: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

beforeAll(async () => {
  cluster = await startCluster(LAYOUTS.status);
  tunnel = await startTunnel(
    [
      `rediss://${cluster.spec.user}@${cluster.nodes[0].ip}:${cluster.nodes[0].port}`,
      '--cacert',
      cluster.certs.caCert,
      '--mode',
      'both',
      '--smart-port',
      '6397',
      '--status-port',
      String(STATUS),
      '--refresh-interval',
      '500',
    ],
    { REDISCLI_AUTH: cluster.spec.password },
  );
});

afterAll(async () => {
  const code = await tunnel?.stop();
  await cluster?.stop();
  expect(code).toBe(0);
});

describe('the status page', () => {
  it('/healthz answers 503 while the tunnel starts (a fake seed that never answers), then it fails', async () => {
    // A fake: a server that accepts and says nothing, so the start takes the whole connect timeout.
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const run = runTunnelToExit(
        [`rediss://127.0.0.1:${port}`, '--insecure', '--status-port', '9188', '--connect-timeout', '3000'],
        {},
      );
      let seen: { code: number; body: string } | null = null;
      await waitFor('the status port to answer', 3000, async () => {
        seen = await get('/healthz', 9188).catch(() => null);
        return seen !== null;
      });
      expect(seen).toMatchObject({ code: 503, body: 'starting: not every listener is up yet\n' });
      expect((await run).code).toBe(1);
    } finally {
      silent.close();
    }
  });

  it('/healthz is 200 once ready', async () => {
    expect(await get('/healthz')).toMatchObject({ code: 200, body: 'ok\n' });
  });

  it('/status: nodes, listeners, clients, bytes each way, rewrites, errors, the last refresh', async () => {
    // A MOVED through the seed listener (rewritten), then traffic on every master, both modes.
    const far = (await cluster.slotRanges()).at(-1) as { end: number };
    expect(await redisCli(['-p', '7801', 'GET', keyForSlot(far.end, 'st:')])).toMatch(/^MOVED/);
    for (const r of await cluster.slotRanges()) {
      expect(await redisCli(['-c', '-p', '7801', 'SET', keyForSlot(r.start, 'st:'), 'x'])).toBe('OK\n');
      expect(await redisCli(['-p', '6397', 'GET', keyForSlot(r.start, 'st:')])).toBe('x\n');
    }
    expect(await redisCli(['-p', '6397', 'MSETNX', 'st:a', '1', 'st:b', '2'])).toMatch(/CROSSSLOT/);
    const { code, body, type } = await get('/status');
    expect(code).toBe(200);
    expect(type).toContain('application/json');
    const s = JSON.parse(body);
    expect(s).toMatchObject({ ready: true, healthy: true, problem: null, mode: 'both' });
    expect(s.nodes.map((n: { local: string }) => n.local)).toEqual([
      '127.0.0.1:7801',
      '127.0.0.1:7802',
      '127.0.0.1:7803',
    ]);
    expect(
      s.nodes.every((n: { role: string; health: string }) => n.role === 'master' && n.health === 'online'),
    ).toBe(true);
    expect(s.listeners).toEqual({ nodes: [7801, 7802, 7803], smart: 6397 });
    expect(s.clients.accepted.pinned).toBeGreaterThanOrEqual(4);
    expect(s.clients.accepted.smart).toBeGreaterThanOrEqual(4);
    expect(s.bytes.toCluster).toBeGreaterThan(100);
    expect(s.bytes.toClients).toBeGreaterThan(20);
    expect(s.rewrites).toBeGreaterThanOrEqual(3); // the MOVED, and redis-cli -c's redirects
    expect(s.errors.refused).toBeGreaterThanOrEqual(1);
    expect(s.lastRefresh.ok).toBe(true);
    expect(Date.now() - Date.parse(s.lastRefresh.at)).toBeLessThan(5000);
    expect(body).not.toContain(cluster.spec.password);
  });

  it('/metrics: Prometheus text that a Prometheus parser reads, with the same figures', async () => {
    const { code, body, type } = await get('/metrics');
    expect(code).toBe(200);
    expect(type).toContain('text/plain');
    const families = new Map(parsePrometheusTextFormat(body).map((f) => [f.name, f]));
    const value = (name: string, labels: Record<string, string> = {}): number =>
      Number(
        families
          .get(`redis_cluster_tunnel_${name}`)
          ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value,
      );
    expect(value('ready')).toBe(1);
    expect(value('nodes', { role: 'master' })).toBe(3);
    expect(families.get('redis_cluster_tunnel_bytes_total')?.type).toBe('COUNTER');
    expect(value('bytes_total', { direction: 'to_cluster' })).toBeGreaterThan(100);
    expect(value('rewrites_total')).toBeGreaterThanOrEqual(3);
    expect(value('client_connections_total', { mode: 'smart' })).toBeGreaterThanOrEqual(4);
    expect(value('topology_refreshes_total', { result: 'ok' })).toBeGreaterThan(0);
    expect(value('last_refresh_ok')).toBe(1);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(await get('/nowhere')).toMatchObject({ code: 404 });
  });

  it('/healthz turns 503 while the topology cannot be refreshed (every node stopped)', async () => {
    for (const i of cluster.nodes.keys()) await cluster.stopNode(i);
    await waitFor('/healthz to turn 503', 15_000, async () => (await get('/healthz')).code === 503);
    const h = await get('/healthz');
    expect(h.body).toMatch(/^the topology cannot be refreshed \(last try .*\): .*127\.0\.0\.8\d:78\d\d/);
    const s = JSON.parse((await get('/status')).body);
    expect(s.healthy).toBe(false);
    expect(s.refreshes.failed).toBeGreaterThan(0);
    expect(tunnel.proc.exitCode).toBeNull();
  });
});
