import type { LocalAddress, NodeRef } from '../../src/topology/types.js';

/** A fixed test topology: three nodes with ids, IPs, hostnames, and the local ports they get. */
export const ID1 = '1'.repeat(40);
export const ID2 = '2'.repeat(40);
export const ID3 = '3'.repeat(40);
export const ID_UNKNOWN = 'f'.repeat(40);

export interface FakeNode {
  id: string;
  ip: string;
  hostname: string;
  port: number;
  local: LocalAddress;
}

export const NODES: FakeNode[] = [
  {
    id: ID1,
    ip: '10.0.0.1',
    hostname: 'node1.example',
    port: 6379,
    local: { host: '127.0.0.1', port: 7001 },
  },
  {
    id: ID2,
    ip: '10.0.0.2',
    hostname: 'node2.example',
    port: 6379,
    local: { host: '127.0.0.1', port: 7002 },
  },
  { id: ID3, ip: 'fd00::3', hostname: 'node3.example', port: 6380, local: { host: '127.0.0.1', port: 7003 } },
];

/**
 * A stand-in for the tunnel's address map (named as a fake: the real one is tested on its own).
 * By id first, then by ip:port or hostname:port, then `?`/empty by port when the port is unique.
 */
export function fakeLookup(ref: NodeRef): LocalAddress | undefined {
  if (ref.id) {
    const n = NODES.find((x) => x.id === ref.id);
    if (n) return n.local;
    if (ref.id === ID_UNKNOWN) return undefined;
  }
  const byAddr = NODES.find((x) => (x.ip === ref.host || x.hostname === ref.host) && x.port === ref.port);
  if (byAddr) return byAddr.local;
  if (ref.host === '?' || ref.host === '') {
    const byPort = NODES.filter((x) => x.port === ref.port);
    if (byPort.length === 1) return byPort[0].local;
  }
  return undefined;
}
