/**
 * A standalone primary, where a client may SELECT another database: a pipeline that moves between
 * databases is cut at seeded places (as TCP may deliver it) and sent to the primary directly, which
 * proves what it answers, then to the tunnel's primary port and to its smart port. Every cut gets
 * the primary's replies, in order: each request runs in the database selected when it was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS, type RunningCluster, startCluster } from '../../scripts/lib/cluster.js';
import { type RawTarget, RawClient, nodeTarget, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel, localPortOf, seedArgs, startTunnel } from './helpers/tunnel.js';
import { cutsFor } from './helpers/cut-pipelines.js';

const SMART_PORT = 6413;
/** Bounds: seeds (each one cut of the pipeline), cuts per pipeline, the gap between pieces. */
const SEEDS = 12;
const CUTS = 12;
const GAP_MS = 3;
let set: RunningCluster;
let tunnel: RunningTunnel;

beforeAll(async () => {
  set = await startCluster(LAYOUTS.standalone);
  const args = ['--mode', 'both', '--smart-port', String(SMART_PORT)];
  tunnel = await startTunnel([...seedArgs(set.describe()), ...args], { REDISCLI_AUTH: set.spec.password });
}, 90_000);

afterAll(async () => {
  const code = await tunnel?.stop();
  await set?.stop();
  expect(code).toBe(0);
});

const k = 'cuts:db';
const commands = [
  ['SET', k, 'zero'],
  ['SELECT', '1'],
  ['GET', k],
  ['SET', k, 'one'],
  ['GET', k],
  ['SELECT', '0'],
  ['GET', k],
  ['DEL', k],
  ['SELECT', '1'],
  ['DEL', k],
  ['SELECT', '0'],
  ['EXISTS', k],
];
const expected = ['OK', 'OK', null, 'OK', 'one', 'OK', 'zero', 1, 'OK', 1, 'OK', 0];

async function cut(target: RawTarget, seed: number): Promise<unknown[]> {
  const client = await RawClient.connect(target);
  if (target.caCert) expect(await client.call('AUTH', set.spec.user, set.spec.password)).toBe('OK');
  const replies = client.pipelineCut(commands, cutsFor(commands, seed, CUTS), GAP_MS);
  const got = await Promise.all(replies.map((r) => within(r, 10_000)));
  client.close();
  return got;
}

describe('standalone: a pipeline that moves between databases, cut into pieces', () => {
  const targets: Array<[string, () => RawTarget]> = [
    ['the primary directly', () => nodeTarget(set.describe())],
    ['the primary port', () => tunnelTarget(localPortOf(tunnel.stdout(), set.describe().nodes[0]))],
    ['the smart port', () => tunnelTarget(SMART_PORT)],
  ];
  for (const [where, target] of targets) {
    it(`${where}: every cut gets the primary's replies, in order`, async () => {
      for (let seed = 1; seed <= SEEDS; seed++)
        expect(await cut(target(), seed), `${where}, seed ${seed}`).toEqual(expected);
    });
  }
});
