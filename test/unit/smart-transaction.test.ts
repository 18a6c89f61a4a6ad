/**
 * Smart mode's transactions (Transaction): which node MULTI and each queued command go to, and
 * when a transaction opened on the home node moves. The lanes and the node table are fakes that
 * record what is sent; what a node answers is asserted against real nodes in
 * test/e2e/node-replies.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CommandTable } from '../../src/protocol/command-table.js';
import { encodeCommand } from '../../src/resp/encode.js';
import { HeldRequests } from '../../src/smart/held-requests.js';
import type { Lanes } from '../../src/smart/lanes.js';
import type { ReplyQueue } from '../../src/smart/replies.js';
import { Transaction } from '../../src/smart/transaction.js';
import type { NodeEntry, NodeTable } from '../../src/topology/node-table.js';
import type { ReplyHandler } from '../../src/upstream/reply-waiters.js';
import { RECORDED_COMMAND_REPLY } from '../helpers/recorded-commands.js';

const commands = new CommandTable(RECORDED_COMMAND_REPLY);
const home = { node: { id: 'home' } } as unknown as NodeEntry;
const other = { node: { id: 'other' } } as unknown as NodeEntry;
/** Fake table: slots below 8192 are the home node's. 'b' hashes to 3300, 'a' to 15495. */
const table = {
  ownerOf: (slot: number) => (slot < 8192 ? home : other),
  masters: () => [home],
} as unknown as NodeTable;

interface Sent {
  to: string;
  command: string;
  answer: ReplyHandler;
}

function setup() {
  const sent: Sent[] = [];
  /** Fake lanes: each request is recorded with its node, to be answered by the test. */
  const lanes = {
    send: (entry: NodeEntry, lane: string, request: Buffer, answer: ReplyHandler) => {
      expect(lane).toBe('own');
      sent.push({ to: entry.node.id, command: request.toString('latin1').split('\r\n')[2], answer });
    },
  } as unknown as Lanes;
  const held = new HeldRequests({} as ReplyQueue);
  const tx = new Transaction(table, commands, lanes, held);
  const replies: string[] = [];
  const request = (...line: string[]): boolean => {
    const args = line.map((a) => Buffer.from(a));
    return tx.handle(line[0].toLowerCase(), args, encodeCommand(line), (r) =>
      replies.push(r.toString('latin1').trim()),
    );
  };
  const where = (): string[] => sent.map((s) => `${s.to} ${s.command}`);
  return { tx, held, sent, replies, request, where };
}

const reply = (text: string): Buffer => Buffer.from(`${text}\r\n`);

describe('smart transactions: the node keeps them', () => {
  it("MULTI read with a keyed command goes to that key's node, and the node answers each", () => {
    const { tx, sent, replies, request, where } = setup();
    expect([request('MULTI'), request('PING'), request('SET', 'a', '1'), request('EXEC')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    tx.endOfRead();
    expect(where()).toEqual(['other MULTI', 'other PING', 'other SET', 'other EXEC']);
    ['+OK', '+QUEUED', '-NOPERM no', '-EXECABORT x'].forEach((r, i) => sent[i].answer(reply(r)));
    expect(replies).toEqual(['+OK', '+QUEUED', '-NOPERM no', '-EXECABORT x']);
    expect(tx.open).toBe(false);
  });

  it('a MULTI the client waits on goes home, and moves once its answer has come', () => {
    const { tx, sent, replies, request, where } = setup();
    request('MULTI');
    tx.endOfRead();
    expect(where()).toEqual(['home MULTI']);
    sent[0].answer(reply('+OK'));
    request('PING');
    sent[1].answer(reply('+QUEUED'));
    request('SET', 'a', '1');
    // Discarded at home; MULTI and the keyless PING again on the key's node, their answers dropped.
    expect(where().slice(2)).toEqual(['home DISCARD', 'other MULTI', 'other PING', 'other SET']);
    sent.slice(2).forEach((s) => s.answer(reply('+QUEUED')));
    request('GET', 'a');
    request('EXEC');
    expect(where().slice(6)).toEqual(['other GET', 'other EXEC']);
    expect(replies).toEqual(['+OK', '+QUEUED', '+QUEUED']);
  });

  it('a move waits for the answer to MULTI, holding later requests', () => {
    const { tx, held, sent, request, where } = setup();
    request('MULTI');
    tx.endOfRead();
    request('SET', 'a', '1');
    expect(where()).toEqual(['home MULTI']);
    expect(held.holding).toBe(true);
    sent[0].answer(reply('+OK'));
    expect(held.holding).toBe(false);
    expect(where()).toEqual(['home MULTI', 'home DISCARD', 'other MULTI', 'other SET']);
  });

  it('a refused MULTI (NOPERM) opens nothing: the next command runs as it comes', () => {
    const { tx, sent, replies, request, where } = setup();
    request('MULTI');
    tx.endOfRead();
    request('SET', 'a', '1');
    sent[0].answer(reply("-NOPERM this user has no permissions to run the 'multi' command"));
    expect(tx.open).toBe(false);
    expect(where()).toEqual(['home MULTI', 'other SET']);
    expect(request('GET', 'a')).toBe(false);
    expect(replies).toEqual(["-NOPERM this user has no permissions to run the 'multi' command"]);
  });

  it('keys on a second node: refused by the tunnel, and EXEC discards on the node', () => {
    const { tx, request, replies, where } = setup();
    request('MULTI');
    request('SET', 'b', '1');
    request('SET', 'a', '1');
    request('EXEC');
    tx.endOfRead();
    expect(where()).toEqual(['home MULTI', 'home SET', 'home DISCARD']);
    expect(replies).toEqual([
      "-ERR redis-cluster-tunnel: a transaction runs on one node, and this command's keys are on another; the transaction will be refused",
      '-EXECABORT Transaction discarded because of previous errors.',
    ]);
  });

  it('WATCH settles the node: MULTI goes there at once', () => {
    const { sent, request, where } = setup();
    request('WATCH', 'a');
    sent[0].answer(reply('+OK'));
    request('MULTI');
    expect(where()).toEqual(['other WATCH', 'other MULTI']);
  });
});
