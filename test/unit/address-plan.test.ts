import { describe, expect, it } from 'vitest';
import { AddressPlan, parsePin, placementOrder } from '../../src/topology/address-plan.js';
import type { ClusterNode } from '../../src/topology/types.js';

const node = (
  id: string,
  ip: string,
  port: number,
  role: 'master' | 'replica',
  extra: Partial<ClusterNode> = {},
): ClusterNode => ({
  id: id.padEnd(40, '0'),
  ip,
  port,
  role,
  slots: [],
  health: 'online',
  ...extra,
});

const ID = (s: string): string => s.padEnd(40, '0');

/** Assigns ports, and returns those of the nodes that had none, in the order they were placed. */
function assign(plan: AddressPlan, nodes: ClusterNode[], seedId?: string): Map<string, number | undefined> {
  const fresh = nodes.filter((n) => plan.portOf(n.id) === undefined);
  plan.assign(nodes, seedId);
  return new Map(placementOrder(fresh, seedId).map((n) => [n.id, plan.portOf(n.id)]));
}

describe('AddressPlan', () => {
  it('unique ports: every node keeps its own port', () => {
    const nodes = [
      node('a', '10.0.0.1', 7001, 'master', { slots: [[0, 100]] }),
      node('b', '10.0.0.2', 7002, 'replica', { masterId: ID('a') }),
    ];
    const plan = new AddressPlan();
    expect([...assign(plan, nodes).entries()]).toEqual([
      [ID('a'), 7001],
      [ID('b'), 7002],
    ]);
  });

  it('every node on 6379 (ElastiCache): the seed keeps 6379, then masters by slot, then replicas', () => {
    const nodes = [
      node('r2', 'h5', 6379, 'replica', { masterId: ID('m2') }),
      node('m2', 'h2', 6379, 'master', { slots: [[8192, 16383]] }),
      node('m1', 'h1', 6379, 'master', { slots: [[0, 8191]] }),
      node('r1', 'h4', 6379, 'replica', { masterId: ID('m1') }),
    ];
    const plan = new AddressPlan();
    const got = assign(plan, nodes, ID('m2'));
    expect([...got.entries()]).toEqual([
      [ID('m2'), 6379],
      [ID('m1'), 6380],
      [ID('r1'), 6381],
      [ID('r2'), 6382],
    ]);
  });

  it('is stable for a node during a run; a newcomer takes the next free port', () => {
    const m1 = node('m1', 'h1', 6379, 'master', { slots: [[0, 16383]] });
    const plan = new AddressPlan();
    plan.assign([m1, node('r1', 'h2', 6379, 'replica', { masterId: ID('m1') })]);
    // m1 fails over, r1 is now master with all slots, a new node appears: nobody moves.
    const after = assign(plan, [
      node('r1', 'h2', 6379, 'master', { slots: [[0, 16383]] }),
      node('m1', 'h1', 6379, 'replica', { masterId: ID('r1') }),
      node('n3', 'h3', 6379, 'master'),
    ]);
    expect([...after.entries()]).toEqual([[ID('n3'), 6381]]);
    expect([plan.portOf(ID('m1')), plan.portOf(ID('r1'))]).toEqual([6379, 6380]);
  });

  it('a port taken on this machine moves an unpinned node to the next free port', () => {
    const a = node('a', 'h1', 7001, 'master');
    const b = node('b', 'h2', 7002, 'master');
    const plan = new AddressPlan();
    plan.assign([a, b]);
    expect(plan.portTaken(a)).toBe(7003);
    expect([plan.portOf(ID('a')), plan.portOf(ID('b'))]).toEqual([7003, 7002]);
  });

  it('pins by id prefix, host:port and hostname:port win; pinned ports are kept free for their node', () => {
    const plan = new AddressPlan([
      parsePin('aaaaaaaa=16000'),
      parsePin('h2:6379=16001'),
      parsePin('node3.example:6379=6379'),
    ]);
    const nodes = [
      node('aaaaaaaa', 'h1', 6379, 'master', { slots: [[0, 1]] }),
      node('b', 'h2', 6379, 'master', { slots: [[2, 3]] }),
      node('c', 'h3', 6379, 'master', { hostname: 'node3.example', slots: [[4, 5]] }),
      node('d', 'h4', 6379, 'master', { slots: [[6, 7]] }),
    ];
    const got = assign(plan, nodes);
    expect(got.get(ID('aaaaaaaa'))).toBe(16000);
    expect(got.get(ID('b'))).toBe(16001);
    expect(got.get(ID('c'))).toBe(6379);
    expect(got.get(ID('d'))).toBe(6380);
    expect(plan.portTaken(nodes[0])).toBeUndefined(); // pinned: the caller must fail, not move it
  });

  it('parses --map and rejects nonsense', () => {
    expect(parsePin('[fd00::1]:6379=7000')).toEqual({ node: 'fd00::1:6379', localPort: 7000 });
    expect(() => parsePin('nonsense')).toThrow(/expected NODE=LOCALPORT/);
    expect(() => parsePin('a=70000')).toThrow();
  });
});
