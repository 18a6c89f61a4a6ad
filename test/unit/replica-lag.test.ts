import { describe, expect, it } from 'vitest';
import { bulkString } from '../../src/resp/encode.js';
import { applyLag, parseReplicaLines } from '../../src/topology/replica-lag.js';
import type { ClusterNode } from '../../src/topology/types.js';

/** INFO replication as redis-server 7.0.15 answered it on the project's standalone set (lag edited on slave1). */
const INFO = bulkString(
  [
    '# Replication',
    'role:master',
    'connected_slaves:2',
    'slave0:ip=127.0.0.92,port=7902,state=online,offset=0,lag=0',
    'slave1:ip=127.0.0.93,port=7903,state=wait_bgsave,offset=0,lag=3',
    'master_failover_state:no-failover',
    'master_repl_offset:0',
    '',
  ].join('\r\n'),
);

const replica = (ip: string, port: number, masterId = 'm'): ClusterNode => ({
  id: `${ip}:${port}`,
  ip,
  port,
  role: 'replica',
  masterId,
  slots: [],
  health: 'online',
});

describe('replica lag', () => {
  it('reads every slaveN line', () => {
    expect(parseReplicaLines(INFO)).toEqual([
      { host: '127.0.0.92', port: 7902, state: 'online', lag: 0 },
      { host: '127.0.0.93', port: 7903, state: 'wait_bgsave', lag: 3 },
    ]);
    expect(parseReplicaLines(Buffer.from('-NOPERM this user has no permissions\r\n'))).toEqual([]);
  });

  it('online replicas get their lag; syncing, unlisted ones Infinity; other masters’ replicas nothing', () => {
    const nodes = [
      replica('127.0.0.92', 7902),
      replica('127.0.0.93', 7903),
      replica('127.0.0.94', 7904),
      replica('127.0.0.95', 7905, 'other'),
    ];
    applyLag(nodes, 'm', parseReplicaLines(INFO));
    expect(nodes.map((n) => n.lagSeconds)).toEqual([0, Infinity, Infinity, undefined]);
  });
});
