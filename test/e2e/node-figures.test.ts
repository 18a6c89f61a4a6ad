/**
 * Per-node figures for clients on connections of their own (--no-share, where every pinned client
 * has one): their requests and bytes count in the node's /metrics and /status figures as the
 * shared connection's do.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RawClient, tunnelTarget } from './helpers/raw-client.js';
import { type RunningTunnel, localPortOf, seedArgs, startTunnel } from './helpers/tunnel.js';
import { hashSlot } from '../../src/topology/hash-slot.js';

const c = inject('cluster');
const STATUS_PORT = 6409;
const SMART_PORT = 6410;
let tunnel: RunningTunnel;

interface Totals {
  requests: number;
  bytesToNode: number;
  bytesFromNode: number;
}

beforeAll(async () => {
  tunnel = await startTunnel(
    [
      ...seedArgs(c),
      '--no-share',
      '--status-port',
      String(STATUS_PORT),
      '--mode',
      'both',
      '--smart-port',
      String(SMART_PORT),
    ],
    {
      REDISCLI_AUTH: c.password,
    },
  );
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

  it('counts clients per node: pinned clients of its listener, smart clients with their own connection to it', async () => {
    type Row = { node: string; slots: string; role: string; clients: number; smartClients: number };
    const rows = async (): Promise<Row[]> =>
      ((await (await fetch(`http://127.0.0.1:${STATUS_PORT}/status`)).json()) as { nodes: Row[] }).nodes;
    const node0 = `${c.nodes[0].ip}:${c.nodes[0].port}`;
    // BLPOP holds a connection: on the smart port it takes the client's own, to the key's master.
    const key = 'figures:list';
    const owner = (await rows()).find(
      (n) =>
        n.role === 'master' &&
        n.slots.split(' ').some((r) => {
          const [a, b] = r.split('-').map(Number);
          return hashSlot(key) >= a && hashSlot(key) <= (b ?? a);
        }),
    ) as Row;
    const pinned = await RawClient.connect(tunnelTarget(localPortOf(tunnel.stdout(), c.nodes[0])));
    const smart = await RawClient.connect(tunnelTarget(SMART_PORT));
    try {
      expect(await pinned.call('PING')).toBe('PONG');
      expect(await smart.call('BLPOP', key, '0.1')).toBeNull();
      const now = await rows();
      expect(now.find((n) => n.node === node0)?.clients).toBe(1);
      expect(now.filter((n) => n.node !== node0).map((n) => n.clients)).toEqual([0, 0, 0, 0, 0]);
      expect(now.find((n) => n.node === owner.node)?.smartClients).toBe(1);
      expect(now.filter((n) => n.node !== owner.node).map((n) => n.smartClients)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      pinned.socket.destroy();
      smart.socket.destroy();
    }
  });
});
