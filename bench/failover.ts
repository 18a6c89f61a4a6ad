/**
 * A failover seen from far away: through the latency relay, one ioredis Cluster client writes
 * through a tunnel that dials the nodes through the relays, another directly over TLS through the
 * same relays (ioredis natMap), both into the slots of the master that is then killed. Prints how
 * long after the kill each one's first write there was acknowledged. The last rows of bench:e2e:
 * the cluster has one master fewer afterwards. Every loop stops on a count and a deadline.
 */
import { readFileSync } from 'node:fs';
import { Cluster } from 'ioredis';
import type { RunningCluster } from '../scripts/lib/cluster.js';
import { hashSlot, keyForSlot } from '../src/topology/hash-slot.js';

/** How long the clients may take to recover, and how many writes they may make. */
const DEADLINE_MS = 60_000;
const MAX_WRITES = 200_000;

interface Recovery {
  /** ms from the kill to the first acknowledged write sent after it; null: never within the deadline. */
  ms: number | null;
  writes: number;
  errors: number;
}

/** Writes keys in `tag`'s slot with 4 loops until a write sent after `killedAt()` is acknowledged. */
async function writeUntilRecovered(
  client: Cluster,
  tag: string,
  killedAt: () => number | null,
): Promise<Recovery> {
  const r: Recovery = { ms: null, writes: 0, errors: 0 };
  const deadline = Date.now() + DEADLINE_MS;
  const loop = async (): Promise<void> => {
    while (r.ms === null && r.writes + r.errors < MAX_WRITES && Date.now() < deadline) {
      const sent = Date.now();
      try {
        await client.set(`{${tag}}:${r.writes}`, 'x');
        r.writes++;
        const kill = killedAt();
        if (kill !== null && sent > kill) r.ms = Date.now() - kill;
      } catch {
        r.errors++;
        await new Promise((ok) => setTimeout(ok, 20));
      }
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
  return r;
}

export async function failoverRows(
  cluster: RunningCluster,
  victimIndex: number,
  /** Where the far tunnel listens, and the relay in front of each node (same order as the nodes). */
  farBind: string,
  relays: Array<{ host: string; port: number }>,
  delayMs: number,
): Promise<string[]> {
  const victim = cluster.nodes[victimIndex];
  const range = (await cluster.slotRanges()).find((r) => r.ip === victim.ip && r.port === victim.port);
  if (!range) throw new Error(`node ${victim.ip}:${victim.port} serves no slots`);
  const tag = keyForSlot(range.start, 'fo');
  if (hashSlot(`{${tag}}:0`) !== range.start) throw new Error('hash tag does not land in the slot');
  const options = { retryDelayOnClusterDown: 100, retryDelayOnFailover: 100, slotsRefreshTimeout: 2000 };
  const viaTunnel = new Cluster([{ host: farBind, port: cluster.nodes[0].port }], options);
  const natMap = Object.fromEntries(cluster.nodes.map((n, i) => [`${n.ip}:${n.port}`, relays[i]]));
  const direct = new Cluster([relays[0]], {
    ...options,
    natMap,
    redisOptions: {
      username: cluster.spec.user,
      password: cluster.spec.password,
      // The CA is checked; the name cannot be (one set of options serves every relayed node).
      tls: { ca: readFileSync(cluster.certs.caCert), checkServerIdentity: () => undefined },
    },
  });
  let killedAt: number | null = null;
  try {
    await Promise.all([viaTunnel.set(`{${tag}}:warm`, 'x'), direct.set(`{${tag}}:warm`, 'x')]);
    const runs = Promise.all([
      writeUntilRecovered(direct, tag, () => killedAt),
      writeUntilRecovered(viaTunnel, tag, () => killedAt),
    ]);
    await new Promise((ok) => setTimeout(ok, 1000));
    await cluster.stopNode(victimIndex, 'SIGKILL');
    killedAt = Date.now();
    const [d, t] = await runs;
    const show = (x: Recovery): string =>
      `${x.ms === null ? `not within ${DEADLINE_MS} ms` : `${x.ms} ms`} (${x.writes} writes, ${x.errors} errors)`;
    return [
      '',
      `failover through the latency relay (${delayMs} ms each way; node-timeout ${cluster.spec.nodeTimeoutMs} ms): master ${victim.ip}:${victim.port} SIGKILLed under write load; first acknowledged write to its slots after the kill`,
      `direct TLS (ioredis Cluster, natMap to the relays)  ${show(d)}`,
      `through the tunnel (ioredis Cluster)               ${show(t)}`,
    ];
  } finally {
    viaTunnel.disconnect();
    direct.disconnect();
  }
}
