import { describe, expect, it } from 'vitest';
import { moveRanges, parseSlotMoves } from '../../src/topology/slot-moves.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

/** CLUSTER NODES as a node writes it: only its own (myself) line carries the moves. */
const nodes = (mine: string): Buffer => {
  const body = [
    `${B} 127.0.0.12:7002@17002 master - 0 1700000000000 2 connected 5461-10922 [77-<-${A}]`,
    `${A} 127.0.0.11:7001@17001 myself,master - 0 0 1 connected 0-5460${mine}`,
    `${C} 127.0.0.13:7003@17003 master - 0 1700000000000 3 connected 10923-16383`,
    '',
  ].join('\n');
  return Buffer.from(`$${Buffer.byteLength(body)}\r\n${body}\r\n`);
};

describe('slot moves', () => {
  it('reads the migrating and importing slots of the node that answers, and no other line', () => {
    const moves = parseSlotMoves(nodes(` [100->-${B}] [101->-${B}] [102->-${C}] [9000-<-${C}]`));
    expect(moves).toEqual({
      migrating: [
        { slot: 100, peer: B },
        { slot: 101, peer: B },
        { slot: 102, peer: C },
      ],
      importing: [{ slot: 9000, peer: C }],
    });
    expect(parseSlotMoves(nodes(''))).toEqual({ migrating: [], importing: [] });
    expect(parseSlotMoves(Buffer.from('-ERR This instance has cluster support disabled\r\n'))).toEqual({
      migrating: [],
      importing: [],
    });
  });

  it('reads RESP3 verbatim text too', () => {
    const body = `txt:${A} 127.0.0.11:7001@17001 myself,master - 0 0 1 connected 0-5460 [5->-${B}]\n`;
    const moves = parseSlotMoves(Buffer.from(`=${Buffer.byteLength(body)}\r\n${body}\r\n`));
    expect(moves.migrating).toEqual([{ slot: 5, peer: B }]);
  });

  it('groups consecutive slots to one peer into ranges', () => {
    expect(
      moveRanges([
        { slot: 101, peer: B },
        { slot: 100, peer: B },
        { slot: 102, peer: C },
        { slot: 104, peer: C },
      ]),
    ).toEqual([
      { slots: '100-101', peer: B },
      { slots: '102-102', peer: C },
      { slots: '104-104', peer: C },
    ]);
  });
});
