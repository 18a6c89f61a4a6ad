/**
 * Per-node figures for clients on connections of their own (--no-share, where every pinned client
 * has one): their requests and bytes count in the node's /metrics and /status figures as the
 * shared connection's do.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawClient, tunnelTarget } from './helpers/raw-client.js';
import { type RunningTunnel, localPortOf, seedArgs, startTunnel } from './helpers/tunnel.js';

const c = inject('cluster');
const STATUS_PORT = 6409;
let tunnel: RunningTunnel;

interface Totals {
  requests: number;
  bytesToNode: number;
  bytesFromNode: number;
}

beforeAll(async () => {
  tunnel = await startTunnel([...seedArgs(c), '--no-share', '--status-port', String(STATUS_PORT)], {
    REDISCLI_AUTH: c.password,
  });
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

/** node_requests_total for a node, from /metrics (0 before it has any). */
async function requestsOf(node: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${STATUS_PORT}/metrics`)).text();
  const m = new RegExp(`^redis_cluster_tunnel_node_requests_total\\{node="${node}"\\} (\\d+)$`, 'm').exec(
    text,
  );
  return Number(m?.[1] ?? 0);
}

/** A node's totals from /status (zeros before it has any). */
async function totals(node: string): Promise<Totals> {
  const status = (await (await fetch(`http://127.0.0.1:${STATUS_PORT}/status`)).json()) as {
    nodes: Array<{ node: string; totals?: Totals }>;
  };
  return (
    status.nodes.find((n) => n.node === node)?.totals ?? { requests: 0, bytesToNode: 0, bytesFromNode: 0 }
  );
}

describe('per-node figures on own connections', () => {
  it('counts each request and byte a client sends and gets on its own connection, exactly', async () => {
    const node = `${c.nodes[0].ip}:${c.nodes[0].port}`;
    const before = await requestsOf(node);
    const totalsBefore = await totals(node);
    // What the raw client writes and reads, byte for byte: ECHO n<i>, and the bulk string back.
    const bulk = (w: string): string => `$${w.length}\r\n${w}\r\n`;
    const words = Array.from({ length: 500 }, (_, i) => `n${i}`);
    const sent = words.reduce((n, w) => n + `*2\r\n${bulk('ECHO')}${bulk(w)}`.length, 0);
    const received = words.reduce((n, w) => n + bulk(w).length, 0);
    const client = await RawClient.connect(tunnelTarget(localPortOf(tunnel.stdout(), c.nodes[0])));
    try {
      const replies = await Promise.all(words.map((w) => client.call('ECHO', w)));
      expect(replies[499]).toBe('n499');
    } finally {
      client.socket.destroy();
    }
    expect((await requestsOf(node)) - before).toBe(500);
    expect(await totals(node)).toEqual({
      requests: totalsBefore.requests + 500,
      bytesToNode: totalsBefore.bytesToNode + sent,
      bytesFromNode: totalsBefore.bytesFromNode + received,
    });
  });
});
