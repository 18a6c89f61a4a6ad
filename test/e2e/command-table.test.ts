/**
 * Smart mode routes by the server's own command table. For command lines of every key layout
 * (fixed positions, key steps, numkeys, keywords, subcommands), the keys it finds are the keys the
 * server itself names with COMMAND GETKEYS.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NodeCommander } from '../../src/net/commander.js';
import { Connector } from '../../src/net/connector.js';
import { decode, text } from '../../src/resp/decode.js';
import { encodeCommand } from '../../src/resp/encode.js';
import { CommandTable, keyIndexes } from '../../src/protocol/command-table.js';
import { type Plan, Planner, plan } from '../../src/smart/plan.js';
import { CommandPolicy } from '../../src/protocol/command-policy.js';
import { recordedPolicy } from '../helpers/recorded-commands.js';

const description = inject('cluster');
let commander: NodeCommander;
let table: CommandTable;

const LINES: string[][] = [
  ['GET', 'a'],
  ['SET', 'a', 'v', 'EX', '10'],
  ['MGET', 'a', 'b', 'c'],
  ['MSET', 'a', '1', 'b', '2'],
  ['DEL', 'a', 'b'],
  ['EVAL', 'return 1', '2', 'k1', 'k2', 'arg'],
  ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '1', 'k1', 'arg'],
  ['FCALL', 'f', '2', 'k1', 'k2'],
  ['ZUNIONSTORE', 'dst', '2', 'z1', 'z2', 'WEIGHTS', '1', '2'],
  ['XREAD', 'COUNT', '2', 'STREAMS', 's1', 's2', '0', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's1', '>'],
  ['SORT', 'src', 'BY', 'w_*', 'STORE', 'dst'],
  ['SORT', 'src', 'LIMIT', '0', '5', 'GET', 'store', 'ALPHA'],
  ['LMOVE', 'l1', 'l2', 'LEFT', 'RIGHT'],
  ['BLMPOP', '0', '2', 'l1', 'l2', 'LEFT'],
  ['OBJECT', 'ENCODING', 'k'],
  ['MEMORY', 'USAGE', 'k'],
  ['GEORADIUS', 'g', '0', '0', '1', 'km', 'STORE', 'dst'],
  ['BITOP', 'AND', 'dst', 'a', 'b'],
  ['RENAME', 'a', 'b'],
  ['SINTERCARD', '2', 's1', 's2'],
];

/** The keys COMMAND GETKEYS names for a command line, asked of a real node. */
async function serverKeys(line: string[]): Promise<string[]> {
  const reply = await commander.command(['COMMAND', 'GETKEYS', ...line]);
  const root = decode(reply);
  return (root.children ?? []).map((c) => text(reply, c));
}

beforeAll(async () => {
  const node = description.nodes[0];
  const connector = new Connector({
    tls: true,
    ca: readFileSync(description.caCert),
    insecure: false,
    connectTimeoutMs: 10_000,
    tlsSessionLimit: 4,
  });
  const target = { host: node.ip, port: node.port, label: `${node.ip}:${node.port}`, tlsName: node.ip };
  const open = await connector.open(target, encodeCommand(['AUTH', description.user, description.password]));
  commander = new NodeCommander(open, target.label, 10_000);
  table = new CommandTable(await commander.command(['COMMAND']));
});

afterAll(() => commander?.close());

describe('the command table', () => {
  it('holds every command the server lists, with its tips', () => {
    expect(table.size).toBeGreaterThan(200);
    expect(table.lookup([Buffer.from('dbsize')])).toMatchObject({
      requestPolicy: 'all_shards',
      responsePolicy: 'agg_sum',
    });
    expect(table.lookup([Buffer.from('mget')])?.requestPolicy).toBe('multi_shard');
    expect(table.lookup([Buffer.from('script'), Buffer.from('load')])?.requestPolicy).toBe('all_nodes');
  });

  it('gives the same connection policy as the recorded table the unit tests use', () => {
    expect(table.size).toBe(240);
    expect(new CommandPolicy(table).entries().sort()).toEqual(recordedPolicy().entries().sort());
  });

  for (const line of LINES) {
    it(`finds the keys the server names: ${line.join(' ')}`, async () => {
      const args = line.map((a) => Buffer.from(a));
      const info = table.lookup(args);
      expect(info, line[0]).toBeDefined();
      const ours = keyIndexes(info as NonNullable<typeof info>, args).map((i) => line[i]);
      expect(ours).toEqual(await serverKeys(line));
    });
  }

  it('plans by the tips: fan-out merges, splits, refusals', () => {
    const p = (...line: string[]): Plan =>
      plan(
        new Planner(table),
        line.map((a) => Buffer.from(a)),
      );
    expect(p('DBSIZE')).toEqual({ kind: 'fanout', merge: 'sum', lane: 'read' });
    expect(p('FLUSHALL')).toEqual({ kind: 'fanout', merge: 'all-ok', lane: 'shared-write' });
    expect(p('SCRIPT', 'EXISTS', 'x')).toEqual({ kind: 'fanout', merge: 'and', lane: 'shared' });
    expect(p('KEYS', '*')).toEqual({ kind: 'fanout', merge: 'concat', lane: 'read' });
    expect(p('GET', 'a')).toMatchObject({ kind: 'node' });
    expect(p('MGET', 'a', 'b')).toMatchObject({ kind: 'split', merge: 'key-order', lane: 'read' });
    expect(p('DEL', 'a', 'b')).toMatchObject({ kind: 'split', merge: 'sum', lane: 'shared-write' });
    expect(p('MSET', 'a', '1', 'b', '2')).toMatchObject({
      kind: 'split',
      merge: 'all-ok',
      lane: 'shared-write',
    });
    expect(p('MGET', '{t}a', '{t}b')).toMatchObject({ kind: 'node' });
    for (const cross of [
      ['MSETNX', 'a', '1', 'b', '2'],
      ['RENAME', 'a', 'b'],
      ['SUNIONSTORE', 'd', 'a', 'b'],
    ])
      expect(p(...cross)).toMatchObject({ kind: 'refuse' });
    expect(p('PING')).toEqual({ kind: 'node', slot: undefined, lane: 'shared' });
    // What holds or changes a connection takes the client's own, never the shared one.
    expect(p('BLPOP', 'q', '0')).toMatchObject({ kind: 'node', lane: 'own' });
    expect(p('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')).toMatchObject({ kind: 'node', lane: 'own' });
    expect(p('CLIENT', 'SETNAME', 'me')).toMatchObject({ kind: 'node', lane: 'own' });
    expect(p('AUTH', 'user', 'pw')).toMatchObject({ kind: 'node', lane: 'own' });
    expect(p('GET', 'a')).toMatchObject({ kind: 'node', lane: 'read' });
    // What a node holds while it pauses writes takes the shared connection for writes.
    expect(p('SET', 'a', '1')).toMatchObject({ kind: 'node', lane: 'shared-write' });
    expect(p('EVAL', 'return 1', '0')).toMatchObject({ kind: 'node', lane: 'shared-write' });
    expect(p('CONFIG', 'SET', 'maxmemory', '0')).toMatchObject({ lane: 'own' });
  });

  it('plans the same with the per-name routes kept, first use and after', () => {
    const planner = new Planner(table);
    const lines = [
      ['GET', 'a'],
      ['SET', 'b', '1', 'EX', '10'],
      ['GET'],
      ['LPUSH', 'q', 'x', 'y'],
      ['BLPOP', 'q', 'r', '0'],
      ['BRPOP', 'q', '0'],
      ['OBJECT', 'ENCODING', 'a'],
      ['INFO'],
      ['INFO', 'server'],
      ['INFO', 'keyspace'],
      ['PING'],
      ['RESET'],
      ['MONITOR'],
      ['KEYS', '*'],
      ['SCAN', '0'],
      ['DBSIZE'],
      ['NOSUCHCOMMAND', 'a'],
      ['MGET', 'a', 'b'],
      ['EVAL', 'return 1', '1', 'k'],
    ];
    for (let round = 0; round < 2; round++)
      for (const line of lines) {
        const args = line.map((a) => Buffer.from(a));
        expect(planner.plan(args), line.join(' ')).toEqual(plan(planner, args));
      }
    expect(table.lookup([Buffer.from('get')])?.singleKey).toBe(1);
    expect(table.lookup([Buffer.from('mget')])?.singleKey).toBe(0);
    expect(table.lookup([Buffer.from('object')])?.singleKey).toBe(0);
  });
});
