/**
 * Smart mode's planner on the recorded COMMAND table of the server the tests run: exact plans
 * (slot, parts and their key positions, merge, lane) for each kind of command. The same planner
 * on the live cluster's table is in test/e2e/command-table.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CommandTable } from '../../src/protocol/command-table.js';
import { Planner } from '../../src/smart/plan.js';
import { hashSlot } from '../../src/topology/hash-slot.js';
import { RECORDED_COMMAND_REPLY } from '../helpers/recorded-commands.js';

const planner = new Planner(new CommandTable(RECORDED_COMMAND_REPLY));
const plan = (...line: string[]) => planner.plan(line.map((a) => Buffer.from(a)));
const slot = (key: string): number => hashSlot(Buffer.from(key));
const args = (...a: string[]): Buffer[] => a.map((x) => Buffer.from(x));

describe('the smart planner', () => {
  it('routes a one-key command to its slot, on the shared connection of its kind (reads marked for --read-from)', () => {
    expect(plan('GET', 'a')).toEqual({ kind: 'node', slot: slot('a'), lane: 'read' });
    expect(plan('SET', 'a', '1')).toEqual({ kind: 'node', slot: slot('a'), lane: 'shared-write' });
    expect(plan('PFCOUNT', 'h')).toEqual({ kind: 'node', slot: slot('h'), lane: 'shared-write' });
    expect(plan('EVAL', 'return 1', '2', '{t}a', '{t}b')).toEqual({
      kind: 'node',
      slot: slot('t'),
      lane: 'shared-write',
    });
    expect(plan('EVAL_RO', 'return 1', '1', 'k')).toEqual({ kind: 'node', slot: slot('k'), lane: 'shared' });
  });

  it('puts what holds or changes a connection on the client’s own', () => {
    expect(plan('BLPOP', 'q', '0')).toEqual({ kind: 'node', slot: slot('q'), lane: 'own' });
    expect(plan('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')).toEqual({
      kind: 'node',
      slot: slot('s'),
      lane: 'own',
    });
    expect(plan('CLIENT', 'SETNAME', 'me')).toEqual({ kind: 'node', slot: undefined, lane: 'own' });
    // A command the server does not describe is the home node's to refuse, on the client's own.
    expect(plan('NOSUCHCOMMAND', 'a')).toEqual({ kind: 'node', slot: undefined, lane: 'own' });
  });

  it('splits multi-key commands by slot, keeping each key’s values and its place in the client’s order', () => {
    expect(plan('MGET', 'a', 'b', '{a}c')).toEqual({
      kind: 'split',
      parts: [
        { slot: slot('a'), args: args('MGET', 'a', '{a}c'), positions: [0, 2] },
        { slot: slot('b'), args: args('MGET', 'b'), positions: [1] },
      ],
      merge: 'key-order',
      lane: 'read',
    });
    expect(plan('MSET', 'a', '1', 'b', '2')).toEqual({
      kind: 'split',
      parts: [
        { slot: slot('a'), args: args('MSET', 'a', '1'), positions: [0] },
        { slot: slot('b'), args: args('MSET', 'b', '2'), positions: [1] },
      ],
      merge: 'all-ok',
      lane: 'shared-write',
    });
    expect(plan('DEL', 'a', 'b')).toMatchObject({ kind: 'split', merge: 'sum', lane: 'shared-write' });
    expect(plan('MGET', '{t}a', '{t}b')).toEqual({ kind: 'node', slot: slot('t'), lane: 'read' });
  });

  it('refuses what spans slots and cannot be split, as the cluster does, and what one port cannot be', () => {
    const crossslot = { kind: 'refuse', error: "CROSSSLOT Keys in request don't hash to the same slot" };
    expect(plan('SUNIONSTORE', 'd', 'a', 'b')).toEqual(crossslot);
    expect(plan('MSETNX', 'a', '1', 'b', '2')).toEqual(crossslot);
    expect(plan('RENAME', 'a', 'b')).toEqual(crossslot);
    expect(plan('SYNC')).toMatchObject({
      kind: 'refuse',
      error: expect.stringMatching(/does not serve SYNC/),
    });
  });

  it('sends keyless commands to every master where the tips say so, else to the home node', () => {
    expect(plan('DBSIZE')).toEqual({ kind: 'fanout', merge: 'sum', lane: 'read' });
    expect(plan('KEYS', '*')).toEqual({ kind: 'fanout', merge: 'concat', lane: 'read' });
    expect(plan('FLUSHALL')).toEqual({ kind: 'fanout', merge: 'all-ok', lane: 'shared-write' });
    expect(plan('SCRIPT', 'EXISTS', 'x')).toEqual({ kind: 'fanout', merge: 'and', lane: 'shared' });
    expect(plan('INFO')).toEqual({ kind: 'fanout', merge: 'info', lane: 'shared' });
    expect(plan('INFO', 'keyspace')).toEqual({ kind: 'fanout', merge: 'info', lane: 'shared' });
    expect(plan('INFO', 'server')).toEqual({ kind: 'node', slot: undefined, lane: 'shared' });
    expect(plan('PING')).toEqual({ kind: 'node', slot: undefined, lane: 'shared' });
    expect(plan('SCAN', '0')).toEqual({ kind: 'scan' });
  });

  it('names the commands that may go in a batch: single-key ones the client adds no meaning to', () => {
    const names = new Set(planner.batchNames);
    for (const name of ['get', 'set', 'incr', 'hget', 'hset', 'lpush', 'zadd', 'expire', 'getex'])
      expect(names.has(name), name).toBe(true);
    for (const name of [
      'watch',
      'eval',
      'evalsha',
      'ssubscribe',
      'mget',
      'mset',
      'del',
      'ping',
      'multi',
      'blpop',
    ])
      expect(names.has(name), name).toBe(false);
    expect(planner.batchRoute('get', 2)).toEqual({ key: 1, lane: 'read', batched: true });
    expect(planner.batchRoute('get', 1)).toBeNull();
  });

  it('reads a key in place as hashSlot reads it, hash tags included', () => {
    const line = Buffer.from('xx{user1000}.following yy');
    for (const [start, end] of [
      [2, 23],
      [0, 4],
      [12, 25],
    ])
      expect(planner.slotAt(line, start, end - start)).toBe(hashSlot(line.subarray(start, end)));
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
  });
});
