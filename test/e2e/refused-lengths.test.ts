/**
 * Requests a node refuses as it reads them: a count or a length it does not read as a number
 * (a leading zero, '-0', '+1', too many digits, over 512 MiB) or a multibulk element that is not
 * a bulk string. A node answers a protocol error and closes the connection. Each frame goes to a
 * node directly first, then to the pinned listener and the smart port, which must answer the
 * same words and close only that client. The tunnel forwards a request's bytes as the client sent
 * them, on a connection other clients share: a frame it read as valid but the node refuses would
 * make the node close that shared connection, so the last test checks those connections survive.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { nodeTarget, tunnelTarget } from './helpers/raw-client.js';
import { type RunningTunnel } from './helpers/tunnel.js';
import { exchangeOf, firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';
import { nodeClients } from './helpers/node.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6415;
let tunnel: RunningTunnel;
let pinnedPort: number;
let key: string;
const connect = tunnelClientOf(description);
const exchange = exchangeOf(description);

/** Each follows a PING, which is answered first. */
const REFUSED: Array<[string, string]> = [
  ['a count that is not a number', '*x\r\n'],
  ['a count with a leading zero', '*01\r\n$4\r\nPING\r\n'],
  ['a count of -0', '*-0\r\nPING\r\n'],
  ['a count with a plus sign', '*+1\r\n$4\r\nPING\r\n'],
  ['a count of twenty digits', '*99999999999999999999\r\n'],
  ['a count over INT_MAX', '*3000000000\r\n'],
  ['a length with a leading zero', '*1\r\n$04\r\nPING\r\n'],
  ['a GET whose name length has a leading zero', '*2\r\n$03\r\nGET\r\n$3\r\nabc\r\n'],
  ['a length of -0', '*1\r\n$-0\r\n'],
  ['a length of -1', '*1\r\n$-1\r\n'],
  ['a length that is not a number', '*1\r\n$x\r\n'],
  ['a length over 512 MiB', '*1\r\n$536870913\r\n'],
  ['an element that is not a bulk string', '*1\r\n4\r\n'],
  ['an empty element line', '*1\r\n\r\n'],
  ['an inline line with unbalanced quotes', 'PING "a\r\n'],
];

beforeAll(async () => {
  const own = await firstNodeRange(cluster, description);
  key = keyForSlot(own.start, 'refused:');
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT));
});

afterAll(async () => {
  const code = await tunnel?.stop();
  if (code !== 0) console.log(`STDERR ${tunnel.stderr().slice(-3000)}`);
  expect(code).toBe(0);
});

describe('a count or length a node refuses', () => {
  it('gets the node own words and closes that client, on the pinned listener and the smart port', async () => {
    const differences: string[] = [];
    for (const [what, bytes] of REFUSED) {
      const fromNode = await exchange(nodeTarget(description, 0), bytes);
      expect(fromNode, what).toMatch(/^\+PONG\r\n-ERR Protocol error: [^\r\n]+\r\n<closed>$/);
      for (const [mode, port] of [
        ['pinned', pinnedPort],
        ['smart', SMART_PORT],
      ] as const) {
        const got = await exchange(tunnelTarget(port), bytes);
        if (got !== fromNode)
          differences.push(`${what} on ${mode}: ${JSON.stringify(got)}, node ${JSON.stringify(fromNode)}`);
      }
    }
    expect(differences).toEqual([]);
  });

  it('never reaches a connection the tunnel shares: the node closes none of them', async () => {
    const bystanders = await Promise.all([pinnedPort, SMART_PORT].map((p) => connect(tunnelTarget(p))));
    for (const b of bystanders) expect(await b.call('GET', key)).toBe(null);
    const idOf = (line: string): string => (/^id=(\d+)/.exec(line) as RegExpExecArray)[1];
    // The tunnel's shared connections to the node are those whose last command was the GET.
    const before = (await nodeClients(description, 0)).filter((l) => / cmd=get /.test(l)).map(idOf);
    expect(before.length).toBeGreaterThan(0);
    for (const [, bytes] of REFUSED)
      for (const port of [pinnedPort, SMART_PORT]) await exchange(tunnelTarget(port), bytes);
    for (const b of bystanders) expect(await b.call('GET', key)).toBe(null);
    const after = (await nodeClients(description, 0)).map(idOf);
    expect(before.filter((id) => !after.includes(id))).toEqual([]);
    for (const b of bystanders) b.close();
  });
});
