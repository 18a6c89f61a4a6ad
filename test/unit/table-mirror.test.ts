/**
 * A worker's copy of the node table (NodeTable.mirror) answers as the primary's does, and emits
 * the changes its followers need; a worker's counts reach the primary's once (TunnelStats.take).
 */
import { describe, expect, it } from 'vitest';
import { TunnelStats } from '../../src/net/stats.js';
import { type NodeChange, NodeTable } from '../../src/topology/node-table.js';
import type { ClusterNode, NodeTarget } from '../../src/topology/types.js';

const targetOf = (n: ClusterNode): NodeTarget => ({
  host: n.ip,
  port: n.port,
  label: `${n.ip}:${n.port}`,
  tlsName: n.ip,
});
const table = (): NodeTable => new NodeTable({ pins: [], localHost: '127.0.0.1', targetOf });

function node(
  i: number,
  role: 'master' | 'replica',
  slots: Array<[number, number]>,
  masterId?: string,
): ClusterNode {
  return {
    id: String(i).repeat(40),
    ip: `127.0.0.${10 + i}`,
    port: 7000 + i,
    role,
    slots,
    health: 'online',
    masterId,
  };
}

describe('NodeTable.mirror', () => {
  it('answers lookups, slot owners and masters as the original does, with the same local ports', () => {
    const primary = table();
    primary.add([
      node(1, 'master', [[0, 8191]]),
      node(2, 'master', [[8192, 16383]]),
      node(3, 'replica', [], '1'.repeat(40)),
    ]);
    const copy = table();
    copy.mirror(primary.records());
    for (const e of primary.entries()) {
      expect(copy.get(e.node.id)?.local.port).toBe(e.local.port);
      expect(copy.lookup({ host: e.node.ip, port: e.node.port })?.port).toBe(e.local.port);
    }
    for (const slot of [0, 8191, 8192, 16383])
      expect(copy.ownerOf(slot)?.node.id).toBe(primary.ownerOf(slot)?.node.id);
    expect(copy.masters().map((e) => e.node.id)).toEqual(primary.masters().map((e) => e.node.id));
  });

  it('follows a failover, a new node and a retired one, emitting the changes', () => {
    const primary = table();
    primary.add([node(1, 'master', [[0, 16383]]), node(2, 'replica', [], '1'.repeat(40))]);
    const copy = table();
    copy.mirror(primary.records());
    const changes: NodeChange['type'][] = [];
    copy.subscribe((c) => changes.push(c.type));
    primary.update(node(2, 'master', [[0, 16383]]));
    primary.update(node(1, 'replica', [], '2'.repeat(40)));
    primary.add([node(4, 'master', [])]);
    primary.retire('1'.repeat(40));
    copy.mirror(primary.records());
    expect(changes.sort()).toEqual(['added', 'retired', 'updated']);
    expect(copy.ownerOf(5)?.node.id).toBe('2'.repeat(40));
    expect(copy.get('1'.repeat(40))).toBeUndefined();
    expect(copy.size).toBe(primary.size);
    // Nothing new: nothing emitted.
    changes.length = 0;
    copy.mirror(primary.records());
    expect(changes).toEqual([]);
  });

  it('a node marked gone leaves masters() in the copy too', () => {
    const primary = table();
    primary.add([node(1, 'master', [[0, 8191]]), node(2, 'master', [[8192, 16383]])]);
    primary.markGone('2'.repeat(40), Date.now());
    const copy = table();
    copy.mirror(primary.records());
    expect(copy.masters().map((e) => e.node.id)).toEqual(['1'.repeat(40)]);
  });
});

describe('TunnelStats.take', () => {
  it('a worker reports each count once; the primary adds them up', () => {
    const worker = new TunnelStats();
    const primary = new TunnelStats();
    worker.accepted.pinned += 3;
    worker.bytesToClients += 100;
    worker.error('unreachable');
    primary.add(worker.take(), 0);
    worker.accepted.pinned += 1;
    worker.error('unreachable');
    worker.error('refused');
    primary.add(worker.take(), 0);
    primary.add(worker.take(), 0); // nothing new
    expect(primary.accepted.pinned).toBe(4);
    expect(primary.bytesToClients).toBe(100);
    expect(Object.fromEntries(primary.errors)).toEqual({ unreachable: 2, refused: 1 });
  });

  it("per node: counts and latency add up across reports and workers; hot keys are each worker's latest, summed", () => {
    const primary = new TunnelStats();
    const workers = [new TunnelStats(), new TunnelStats()];
    for (const [i, w] of workers.entries()) {
      const n = w.nodes.of('n1');
      n.requests += 10 * (i + 1);
      n.bytesToNode += 100;
      n.bytesFromNode += 7;
      n.replied(0.5, 'ok');
      n.replied(3, 'error');
      for (let k = 0; k < 3 + i; k++) n.hotKeys.add(Buffer.from('hot'));
      n.hotKeys.add(Buffer.from(`only-${i}`));
      primary.add(w.take(), i);
    }
    // A second report from worker 0: counts add, its hot-key list replaces its first.
    workers[0].nodes.of('n1').requests += 5;
    workers[0].nodes.of('n1').hotKeys.add(Buffer.from('hot'));
    primary.add(workers[0].take(), 0);
    const n = primary.nodes.of('n1');
    expect([n.requests, n.bytesToNode, n.bytesFromNode, n.errors]).toEqual([35, 200, 14, 2]);
    expect([n.latencyTotal.total, n.latency.total]).toEqual([4, 4]);
    expect(n.latencyTotal.countUpTo(1)).toBe(2);
    expect(n.latencySumMs).toBeCloseTo(7, 9);
    // Worker 0 counted 'hot' 4 times, worker 1 4 times: 8 samples, 64 requests at one in 8.
    expect(n.hotKeyList().slice(0, 1)).toEqual([{ key: 'hot', requests: 64 }]);
    expect(
      n
        .hotKeyList()
        .map((h) => h.key)
        .sort(),
    ).toEqual(['hot', 'only-0', 'only-1']);
    // The worker's own counts start again at zero after each report.
    expect(workers[1].take().nodes).toEqual([['n1', expect.objectContaining({ requests: 0 })]]);
  });
});

describe('NodeTable.mirror, slot owners', () => {
  it('slots given back by a node that then left stay with the master that took them', () => {
    const primary = table();
    // Node 9 (listed last) joined with slots 0-99, gave them back to node 1, and was removed.
    primary.add([node(1, 'master', [[100, 16383]]), node(9, 'master', [[0, 99]])]);
    primary.update(node(1, 'master', [[0, 16383]]));
    primary.markGone('9'.repeat(40), Date.now());
    const copy = table();
    copy.mirror(primary.records());
    expect(primary.ownerOf(50)?.node.id).toBe('1'.repeat(40));
    expect(copy.ownerOf(50)?.node.id).toBe('1'.repeat(40));
  });
});
