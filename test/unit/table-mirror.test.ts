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
    primary.add(worker.take());
    worker.accepted.pinned += 1;
    worker.error('unreachable');
    worker.error('refused');
    primary.add(worker.take());
    primary.add(worker.take()); // nothing new
    expect(primary.accepted.pinned).toBe(4);
    expect(primary.bytesToClients).toBe(100);
    expect(Object.fromEntries(primary.errors)).toEqual({ unreachable: 2, refused: 1 });
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
