/**
 * The warm pool under a credential refresh, seen from the node itself (CLIENT LIST, asked directly
 * over TLS): with --auth-command re-run every 500 ms, the pooled connections of a node are always
 * younger than a refresh or two, since each refresh replaces them; without a refresh they age.
 * The only tunnel in this file is the one under test, so every `cmd=auth` connection is its pool.
 */
import { describe, expect, inject, it } from 'vitest';
import { sleep } from '../../scripts/lib/cluster.js';
import { nodeClients } from './helpers/node.js';
import { authCommandArgs, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');

/** Ages (s) of the connections to the seed node whose last command was AUTH: the idle pool's. */
async function pooledAges(): Promise<number[]> {
  return (await nodeClients(description))
    .filter((l) => / cmd=auth /.test(l))
    .map((l) => Number(/ age=(\d+) /.exec(l)?.[1]));
}

describe('the warm pool and a credential refresh', () => {
  it('each refresh replaces the pooled connections; without one they age', async () => {
    const refreshing = await startTunnel(
      [...seedArgs(description), ...authCommandArgs(description.password, 500)],
      {},
    );
    await sleep(3500);
    const young = await pooledAges();
    expect(await refreshing.stop()).toBe(0);
    const steady = await startTunnel(seedArgs(description), { REDISCLI_AUTH: description.password });
    await sleep(3500);
    const old = await pooledAges();
    expect(await steady.stop()).toBe(0);
    console.log(
      `pooled connections' ages: with a refresh every 500 ms ${young.join(', ')} s; without ${old.join(', ')} s`,
    );
    expect(young.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...young)).toBeLessThanOrEqual(1);
    // Two per node; none replaced in 3.5 s.
    expect(old.filter((age) => age >= 3).length).toBe(2);
  });
});
