import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { NodeStatsBook } from '../../src/net/node-stats.js';
import { NodeLatencyHistogram } from '../../src/status/metrics.js';
import type { Tunnel } from '../../src/tunnel/tunnel.js';

describe('/metrics node latency', () => {
  it('is a prom-client Histogram whose buckets, sum and count come from the node connections', async () => {
    const nodes = new NodeStatsBook();
    const stats = nodes.of('n1');
    for (const ms of [0.05, 0.3, 0.3, 2, 40]) stats.replied(ms, 'ok');
    // What the histogram reads of a tunnel: its table's entries and the per-node stats.
    const tunnel = {
      table: { entries: () => [{ node: { id: 'n1' }, target: { label: '127.0.0.11:7001' } }] },
      stats: { nodes },
    } as unknown as Tunnel;
    const registry = new Registry();
    const metric = new NodeLatencyHistogram(tunnel, registry);
    expect(metric).toBeInstanceOf(Histogram);
    const text = await registry.metrics();
    const line = (le: string): string | undefined =>
      text
        .split('\n')
        .find((l) =>
          l.startsWith(`redis_cluster_tunnel_node_latency_seconds_bucket{node="127.0.0.11:7001",le="${le}"}`),
        );
    expect(text).toContain('# TYPE redis_cluster_tunnel_node_latency_seconds histogram');
    expect(line('0.0001')?.split(' ')[1]).toBe('1');
    expect(line('0.0005')?.split(' ')[1]).toBe('3');
    expect(line('0.0025')?.split(' ')[1]).toBe('4');
    expect(line('0.025')?.split(' ')[1]).toBe('4');
    expect(line('0.05')?.split(' ')[1]).toBe('5');
    expect(line('+Inf')?.split(' ')[1]).toBe('5');
    expect(text).toContain('redis_cluster_tunnel_node_latency_seconds_count{node="127.0.0.11:7001"} 5');
    const sum = /_sum\{node="127\.0\.0\.11:7001"\} ([\d.]+)/.exec(text)?.[1];
    expect(Number(sum)).toBeCloseTo(0.04265, 6);
  });
});
