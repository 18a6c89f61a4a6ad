/**
 * A cluster whose nodes take shorter arguments than Redis's default: proto-max-bulk-len lowered to
 * 1 MiB on every node (CONFIG SET, put back after). A node refuses a longer argument as it reads
 * its length, with a protocol error, and closes the connection. The tunnel reads the limit from
 * the seed at startup, so it refuses the same request itself, with the node's words, and closes
 * only that client: passed on, the request would make the node close a connection other clients
 * share. An argument of exactly 1 MiB still goes through, in both modes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { exchangeOf, firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';
import { askNode, nodeClients } from './helpers/node.js';
import { nodeTarget, tunnelTarget } from './helpers/raw-client.js';
import type { RunningTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6416;
const LIMIT = 1024 * 1024;
const DEFAULT_LIMIT = 512 * 1024 * 1024;
const connect = tunnelClientOf(description);
const exchange = exchangeOf(description);
let tunnel: RunningTunnel;
let pinnedPort: number;
let key: string;

/** Sets proto-max-bulk-len on every node of the cluster. */
async function setLimit(bytes: number): Promise<void> {
  for (let i = 0; i < description.nodes.length; i++)
    expect(
      (await askNode(description, ['CONFIG', 'SET', 'proto-max-bulk-len', String(bytes)], i)).trim(),
    ).toBe('OK');
}

/** A SET whose value's length line says `length` (its body does not follow). */
const setHeader = (length: number): string => `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${length}\r\n`;

beforeAll(async () => {
  key = keyForSlot((await firstNodeRange(cluster, description)).start, 'limits:');
  await setLimit(LIMIT);
  ({ tunnel, pinnedPort } = await startBothModes(description, SMART_PORT, ['--log-level', 'info']));
});

afterAll(async () => {
  await setLimit(DEFAULT_LIMIT);
  const code = await tunnel?.stop();
  if (code !== 0) console.log(`STDERR ${tunnel.stderr().slice(-3000)}`);
  expect(code).toBe(0);
});

describe('nodes with proto-max-bulk-len at 1 MiB', () => {
  it('the tunnel says so once at startup', () => {
    expect(tunnel.stderr()).toContain(
      `the nodes take arguments of up to ${LIMIT} bytes (proto-max-bulk-len)`,
    );
  });

  it('a longer argument gets the node’s own words and closes only that client, in both modes', async () => {
    const fromNode = await exchange(nodeTarget(description, 0), setHeader(LIMIT + 1));
    expect(fromNode).toBe('+PONG\r\n-ERR Protocol error: invalid bulk length\r\n<closed>');
    expect(await exchange(tunnelTarget(pinnedPort), setHeader(LIMIT + 1))).toBe(fromNode);
    expect(await exchange(tunnelTarget(SMART_PORT), setHeader(LIMIT + 1))).toBe(fromNode);
  });

  it('a whole request with a longer argument closes no shared connection; one of exactly 1 MiB is stored, in both modes', async () => {
    const value = 'v'.repeat(LIMIT);
    const bystanders = await Promise.all([pinnedPort, SMART_PORT].map((p) => connect(tunnelTarget(p))));
    for (const b of bystanders) expect(await b.call('DEL', key)).toBeTypeOf('number');
    const idOf = (line: string): string => (/^id=(\d+)/.exec(line) as RegExpExecArray)[1];
    const before = (await nodeClients(description, 0)).filter((l) => / cmd=del /.test(l)).map(idOf);
    expect(before.length).toBeGreaterThan(0);
    // The whole request this time, body and all: passed on, it would reach a shared connection.
    // The node's words are those it answers the length line with (the test before): sent the whole
    // request, a node closes with the body unread, which resets the connection, and its answer is
    // not always received. The tunnel reads (and drops) what follows, so its answer always is.
    const whole = setHeader(LIMIT + 1) + 'v'.repeat(LIMIT + 1) + '\r\n';
    const fromNode = await exchange(nodeTarget(description, 0), setHeader(LIMIT + 1));
    expect(fromNode).toBe('+PONG\r\n-ERR Protocol error: invalid bulk length\r\n<closed>');
    for (const port of [pinnedPort, SMART_PORT])
      expect(`${port}: ${await exchange(tunnelTarget(port), whole)}`).toBe(`${port}: ${fromNode}`);
    for (const b of bystanders) {
      expect(await b.call('SET', key, value)).toBe('OK');
      expect(await b.call('STRLEN', key)).toBe(LIMIT);
    }
    const after = (await nodeClients(description, 0)).map(idOf);
    expect(before.filter((id) => !after.includes(id))).toEqual([]);
    for (const b of bystanders) b.close();
  });
});
