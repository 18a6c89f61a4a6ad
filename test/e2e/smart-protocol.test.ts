/**
 * A smart client that switches protocol with HELLO gets each reply in the protocol in force when
 * it sent the request, as on its own connection to a node: a request pipelined before HELLO 3 is
 * answered in RESP2 even when the client's own connection to its node is still opening, or is
 * opened only once the client's earlier requests on a shared connection are answered. The node is
 * asked first, with the same pipeline, so what it answers is proven.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { RawClient, type RawTarget, type Reply, field, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const cluster = attach(description);
const PORT = 6414;
let tunnel: RunningTunnel;
/** The master of slot 0: smart mode's home node, where keyless requests go. */
let home: RawTarget;
/** A key of the home node's. */
let key: string;

beforeAll(async () => {
  const first = (await cluster.slotRanges()).find((r) => r.start === 0);
  if (!first) throw new Error('no node serves slot 0');
  home = { host: first.ip, port: first.port, caCert: description.caCert };
  key = keyForSlot(0, 'proto');
  tunnel = await startTunnel([...seedArgs(description), '--mode', 'smart', '--smart-port', String(PORT)], {
    REDISCLI_AUTH: description.password,
  });
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

/** Sends `commands` in one write (after AUTH on a node) and returns their replies. */
async function replies(target: RawTarget, commands: string[][]): Promise<Array<Reply | 'timeout'>> {
  const client = await RawClient.connect(target);
  try {
    if (target.caCert) expect(await client.call('AUTH', description.user, description.password)).toBe('OK');
    return await Promise.all(client.pipeline(commands).map((r) => within(r, 10_000)));
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

describe('smart mode: each reply in the protocol its request was sent in', () => {
  const sequences: Array<[string, () => string[][], unknown[], number]> = [
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
  ];
  for (const [name, commands, expected, helloAt] of sequences) {
    it(name, async () => {
      expect(comparable(await replies(home, commands()), helloAt), 'the node').toEqual(expected);
      for (let run = 0; run < 5; run++)
        expect(comparable(await replies(tunnelTarget(PORT), commands()), helloAt), `run ${run}`).toEqual(
          expected,
        );
    });
  }
});
