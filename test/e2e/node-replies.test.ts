/**
 * Pipelines whose replies must be what a node gives, in both modes: each goes to a node first
 * (its replies are what the test asserts, so they are proven), then to that node's pinned
 * listener and to the smart port.
 *
 * - Protocol: a client that switches with HELLO gets each reply in the protocol in force when it
 *   sent the request. In smart mode a request pipelined before HELLO 3 is answered in RESP2 even
 *   when the client's own connection to its node is still opening, or opens only once the client's
 *   earlier requests on a shared connection are answered. A HELLO whose version a node refuses
 *   ("03", "x", "4") gets the node's error and changes nothing.
 * - Transactions: a command queued after MULTI that the node does not have, or with the wrong
 *   number of arguments, gets the node's own error. So do a command whose keys are in two slots
 *   (CROSSSLOT), MULTI as a user without the right to it (NOPERM: then nothing is queued), and a
 *   transaction after one EXECABORT ended while a key was watched (the watch ended with it). These
 *   run on the node that holds their keys, which is not smart mode's home node: a transaction that
 *   smart mode opened at home, not knowing its keys yet, moves there. They run pipelined and one
 *   command at a time (the client waits for each reply).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { READER } from '../../scripts/lib/layouts.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { RawClient, type RawTarget, type Reply, field, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel, localPortOf, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6414;
let tunnel: RunningTunnel;
/** The master of slot 0: smart mode's home node, where keyless requests go. */
let home: RawTarget;
/** The home node's pinned listener. */
let pinned: RawTarget;
/** A key of the home node's. */
let key: string;

beforeAll(async () => {
  const first = (await cluster.slotRanges()).find((r) => r.start === 0);
  if (!first) throw new Error('no node serves slot 0');
  home = { host: first.ip, port: first.port, caCert: description.caCert };
  key = keyForSlot(0, 'proto');
  tunnel = await startTunnel(
    [...seedArgs(description), '--mode', 'both', '--smart-port', String(SMART_PORT)],
    { REDISCLI_AUTH: description.password },
  );
  pinned = tunnelTarget(localPortOf(tunnel.stdout(), { ip: first.ip, port: first.port }));
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

/**
 * Sends `commands` in one write (after AUTH on a node), or one at a time, each once the one before
 * it is answered, and returns their replies.
 */
async function replies(
  target: RawTarget,
  commands: string[][],
  oneByOne = false,
): Promise<Array<Reply | 'timeout'>> {
  const client = await RawClient.connect(target);
  try {
    if (target.caCert) expect(await client.call('AUTH', description.user, description.password)).toBe('OK');
    if (!oneByOne) return await Promise.all(client.pipeline(commands).map((r) => within(r, 10_000)));
    const got: Array<Reply | 'timeout'> = [];
    for (const c of commands) got.push(await within(client.call(...c), 10_000));
    return got;
  } finally {
    client.close();
  }
}

/** HELLO's reply names the connection (id); only its protocol is compared. */
function comparable(replies: Array<Reply | 'timeout'>, helloAt: number): unknown[] {
  return replies.map((r, i) => (i === helloAt && r !== 'timeout' ? { proto: field(r, 'proto') ?? null } : r));
}

const RESP2_INFO: Reply = ['flags', ['off'], 'redirect', -1, 'prefixes', []];
const RESP3_INFO: Reply = {
  map: [
    ['flags', ['off']],
    ['redirect', -1],
    ['prefixes', []],
  ],
};
const NOT_AN_INTEGER = { error: 'ERR Protocol version is not an integer or out of range' };

/** A name, the pipeline, what the node answers (HELLO 3's reply as its protocol), where HELLO 3 is (-1: none). */
type Sequence = [string, () => string[][], unknown[], number];

const sequences: Sequence[] = [
  [
    'a request for a connection still opening, then HELLO 3',
    () => [
      ['CLIENT', 'TRACKINGINFO'],
      ['HELLO', '3'],
      ['CLIENT', 'TRACKINGINFO'],
    ],
    [RESP2_INFO, { proto: 3 }, RESP3_INFO],
    1,
  ],
  [
    'a request waiting for a shared write to its node, then HELLO 3',
    () => [
      ['SET', key, 'v'],
      ['CLIENT', 'TRACKINGINFO'],
      ['HELLO', '3'],
      ['CLIENT', 'TRACKINGINFO'],
    ],
    ['OK', RESP2_INFO, { proto: 3 }, RESP3_INFO],
    2,
  ],
  ...(
    [
      ['03', NOT_AN_INTEGER],
      ['x', NOT_AN_INTEGER],
      ['+3', NOT_AN_INTEGER],
      ['4', { error: 'NOPROTO unsupported protocol version' }],
    ] as const
  ).map(([version, refused]): Sequence => [
    `HELLO ${version}, refused, in RESP2 and in RESP3`,
    // HGETALL of a missing key: an empty array in RESP2, an empty map in RESP3.
    () => [
      ['HELLO', version],
      ['HGETALL', `${key}:missing`],
      ['HELLO', '3'],
      ['HELLO', version],
      ['HGETALL', `${key}:missing`],
    ],
    [refused, [], { proto: 3 }, refused, { map: [] }],
    2,
  ]),
];

/** HELLO with options: the node reads them in order (a name may be set before a refused word). */
const HELLO_MAP = { proto: 3 };
const SYNTAX = (word: string): Reply => ({ error: `ERR Syntax error in HELLO option '${word}'` });
const helloOptions: Array<[string[], unknown[]]> = [
  [
    ['HELLO', '3', 'FOO'],
    [SYNTAX('FOO'), [], null],
  ],
  [
    ['HELLO', '3', 'SETNAME', 'bad name'],
    [{ error: 'ERR Client names cannot contain spaces, newlines or special characters.' }, [], null],
  ],
  [
    ['HELLO', '3', 'SETNAME', 'okname'],
    [HELLO_MAP, { map: [] }, 'okname'],
  ],
  [
    ['HELLO', '2', 'SETNAME'],
    [SYNTAX('SETNAME'), [], null],
  ],
  [
    ['HELLO', '3', 'SETNAME', 'a', 'SETNAME', 'b'],
    [HELLO_MAP, { map: [] }, 'b'],
  ],
  [
    ['HELLO', '3', 'SETNAME', 'a', 'FOO'],
    [SYNTAX('FOO'), [], 'a'],
  ],
  [
    ['HELLO', '3', 'SETNAME', 'auth', 'x', 'y'],
    [SYNTAX('x'), [], 'auth'],
  ],
];
for (const [hello, expected] of helloOptions)
  sequences.push([
    `${hello.join(' ')}: options as the node reads them`,
    () => [hello, ['HGETALL', `${key}:missing`], ['CLIENT', 'GETNAME']],
    expected,
    expected[0] === HELLO_MAP ? 0 : -1,
  ]);

/** Commands a node refuses at queue time, with its words for each. */
const LONG = 'a'.repeat(140);
const refusedInMulti: Array<[string[], string]> = [
  [['FOO'], "ERR unknown command 'FOO', with args beginning with: "],
  [['FOO', 'a', 'b c'], "ERR unknown command 'FOO', with args beginning with: 'a' 'b c' "],
  [['FOO', 'x', LONG], `ERR unknown command 'FOO', with args beginning with: 'x' '${LONG.slice(0, 124)}' `],
  [[LONG, 'y'], `ERR unknown command '${LONG.slice(0, 128)}', with args beginning with: 'y' `],
  [['FOO', 'a\r\nb'], "ERR unknown command 'FOO', with args beginning with: 'a  b' "],
  [['CLIENT', 'NOSUCH'], "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."],
  [['CLIENT', 'SETNAME'], "ERR wrong number of arguments for 'client|setname' command"],
  [['XINFO', 'STREAM'], "ERR wrong number of arguments for 'xinfo|stream' command"],
  [['CONFIG'], "ERR wrong number of arguments for 'config' command"],
  [['Get', 'a', 'b'], "ERR wrong number of arguments for 'get' command"],
];
for (const [command, error] of refusedInMulti)
  sequences.push([
    `MULTI, ${command.join(' ').slice(0, 40)}, EXEC: refused when queued, in the node's words`,
    () => [['MULTI'], command, ['PING'], ['EXEC']],
    ['OK', { error }, 'QUEUED', { error: 'EXECABORT Transaction discarded because of previous errors.' }],
    -1,
  ]);

describe('replies as a node gives them', () => {
  for (const [name, commands, expected, helloAt] of sequences) {
    it(name, async () => {
      expect(comparable(await replies(home, commands()), helloAt), 'the node').toEqual(expected);
      for (const [where, target] of [
        ['pinned', pinned],
        ['smart', tunnelTarget(SMART_PORT)],
      ] as const)
        for (let run = 0; run < 5; run++)
          expect(comparable(await replies(target, commands()), helloAt), `${where}, run ${run}`).toEqual(
            expected,
          );
    });
  }
});

/** Transactions on the keys of the master of the last slot (another node than smart mode's home). */
describe('transactions as the node that holds their keys answers them', () => {
  let node: RawTarget;
  let listener: RawTarget;
  /** Two keys of the last slot, and one of the slot before it (same node, other slot). */
  const k = keyForSlot(16383, 'tx:');
  const k2 = keyForSlot(16383, 'tx2:');
  const elsewhere = keyForSlot(16382, 'tx:');
  const ABORTED = { error: 'EXECABORT Transaction discarded because of previous errors.' };
  const refused = (c: string): string => `NOPERM this user has no permissions to run the '${c}' command`;
  const noperm = (c: string): Reply => ({ error: refused(c) });

  beforeAll(async () => {
    const last = (await cluster.slotRanges()).find((r) => r.end === 16383);
    if (!last || last.start === 0) throw new Error('the last slot must be on another node than slot 0');
    node = { host: last.ip, port: last.port, caCert: description.caCert };
    listener = tunnelTarget(localPortOf(tunnel.stdout(), { ip: last.ip, port: last.port }));
  });

  const transactions: Array<[string, string[][], unknown[]]> = [
    [
      'a keyless command, then keys',
      [['SET', k, '0'], ['MULTI'], ['PING'], ['SET', k, '1'], ['GET', k], ['EXEC']],
      ['OK', 'OK', 'QUEUED', 'QUEUED', 'QUEUED', ['PONG', 'OK', '1']],
    ],
    [
      'keys in two slots (CROSSSLOT when queued)',
      [['SET', k, '1'], ['MULTI'], ['MSET', k, '1', elsewhere, '2'], ['SET', k, '2'], ['EXEC'], ['GET', k]],
      [
        'OK',
        'OK',
        { error: "CROSSSLOT Keys in request don't hash to the same slot" },
        'QUEUED',
        ABORTED,
        '1',
      ],
    ],
    [
      'a watch ends with a transaction that EXECABORT ended',
      [['WATCH', k], ['MULTI'], ['FOO'], ['EXEC'], ['SET', k, '3'], ['MULTI'], ['GET', k], ['EXEC']],
      [
        'OK',
        'OK',
        { error: "ERR unknown command 'FOO', with args beginning with: " },
        ABORTED,
        'OK',
        'OK',
        'QUEUED',
        ['3'],
      ],
    ],
    [
      'MULTI as a user without the right to it: nothing is queued',
      [
        ['AUTH', READER.user, READER.password],
        ['MULTI'],
        ['GET', k2],
        ['SET', k2, 'v'],
        ['EXEC'],
        ['ACL', 'WHOAMI'],
      ],
      [
        'OK',
        noperm('multi'),
        null,
        noperm('set'),
        { error: `EXECABORT Transaction discarded because of: ${refused('exec')}` },
        READER.user,
      ],
    ],
  ];
  for (const [name, commands, expected] of transactions)
    for (const oneByOne of [false, true])
      it(`${name}, ${oneByOne ? 'one command at a time' : 'pipelined'}`, async () => {
        expect(await replies(node, commands, oneByOne), 'the node').toEqual(expected);
        for (const [where, target] of [
          ['pinned', listener],
          ['smart', tunnelTarget(SMART_PORT)],
        ] as const)
          for (let run = 0; run < 3; run++)
            expect(await replies(target, commands, oneByOne), `${where}, run ${run}`).toEqual(expected);
      });
});
