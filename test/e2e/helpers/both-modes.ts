import { expect } from 'vitest';
import type { ClusterDescription, RunningCluster, SlotRange } from '../../../scripts/lib/cluster.js';
import { RawClient, type RawTarget } from './raw-client.js';
import { type RunningTunnel, localPortOf, seedArgs, startTunnel } from './tunnel.js';

/**
 * What the tests that compare a node with the tunnel share: the first node's slots, one tunnel in
 * both modes, and raw clients that start as a tunnel client starts (on a node directly, logged in
 * as the tunnel's user first).
 */

/** The first slot range the cluster's first node serves. */
export async function firstNodeRange(cluster: RunningCluster, c: ClusterDescription): Promise<SlotRange> {
  const first = c.nodes[0];
  const own = (await cluster.slotRanges()).find((r) => r.ip === first.ip && r.port === first.port);
  if (!own) throw new Error('the first node serves no slots');
  return own;
}

/** A tunnel with pinned listeners and a smart port; the first node's local port. */
export async function startBothModes(
  c: ClusterDescription,
  smartPort: number,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = { REDISCLI_AUTH: c.password },
): Promise<{ tunnel: RunningTunnel; pinnedPort: number }> {
  const tunnel = await startTunnel(
    [...seedArgs(c), '--mode', 'both', '--smart-port', String(smartPort), ...extra],
    env,
  );
  return { tunnel, pinnedPort: localPortOf(tunnel.stdout(), c.nodes[0]) };
}

/** Connects a raw client; on a node directly (TLS), it logs in as the tunnel's user first. */
export function tunnelClientOf(c: ClusterDescription): (target: RawTarget) => Promise<RawClient> {
  return async (target) => {
    const client = await RawClient.connect(target);
    if (target.caCert) expect(await client.call('AUTH', c.user, c.password)).toBe('OK');
    return client;
  };
}

/** How long an exchange waits for the peer to close. */
const CLOSE_MS = 3000;

/**
 * Sends a PING and `bytes` on a new connection (a node's: logged in first) and returns what came
 * back after the login, then '<closed>' or '<open>' after 3 s: how a node, or the tunnel, answers
 * a request it refuses as it reads it.
 */
export function exchangeOf(c: ClusterDescription): (target: RawTarget, bytes: string) => Promise<string> {
  const connect = tunnelClientOf(c);
  return async (target, bytes) => {
    const client = await connect(target);
    let got = '';
    client.socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const closed = new Promise<boolean>((ok) => {
      client.socket.once('close', () => ok(true));
      setTimeout(() => ok(false), CLOSE_MS);
    });
    client.writeRaw(Buffer.from(`PING\r\n${bytes}`, 'latin1'));
    const end = (await closed) ? '<closed>' : '<open>';
    client.close();
    return got + end;
  };
}
