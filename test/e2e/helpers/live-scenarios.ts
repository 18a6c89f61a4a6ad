/**
 * Live topology changes through the tunnel (run by live.test.ts in one process, and by
 * workers-live.test.ts with --workers 2), on a real TLS cluster of its own (127.0.0.41-46):
 * a master killed under write load, a manual CLUSTER FAILOVER, resharding with `redis-cli
 * --cluster reshard` through the tunnel during load, and a node added after the tunnel started.
 * Every load loop is bounded in count and in time.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { LAYOUTS, type RunningCluster, settle, sleep, waitFor } from '../../../scripts/lib/cluster.js';
import { hashSlot } from '../../../src/topology/hash-slot.js';
import { writeLoad } from './load.js';
import { type RunningTunnel, clusterAndTunnel, redisCli } from './tunnel.js';

/** The cluster and the tunnel of the scenarios running now. */
let cluster: RunningCluster;
let tunnel: RunningTunnel;

const run = promisify(execFile);
const LOCAL = '127.0.0.1';
const NODE_TIMEOUT_MS = LAYOUTS.live.nodeTimeoutMs;

interface NodeState {
  id: string;
  port: number;
  master: boolean;
  ranges: Array<[number, number]>;
}

/** The real cluster's view, asked directly (not through the tunnel). */
async function topology(): Promise<NodeState[]> {
  const alive = cluster.nodes.find((n) => n.pid) as (typeof cluster.nodes)[number];
  const text = await cluster.cli(alive, ['CLUSTER', 'NODES']);
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .filter((t) => !t[2].includes('fail') && !t[2].includes('noaddr'))
    .map((t) => ({
      id: t[0],
      port: Number(t[1].split('@')[0].split(':').pop()),
      master: t[2].includes('master'),
      ranges: t
        .slice(8)
        .filter((x) => !x.startsWith('['))
        .map((r) => r.split('-').map(Number) as [number, number])
        .map(([a, b]) => [a, b ?? a] as [number, number]),
    }));
}

/** `redis-cli --cluster reshard` through the tunnel (no password); returns how many slots moved. */
async function reshard(from: string, to: string, slots: number): Promise<number> {
  const { stdout } = await run(
    'redis-cli',
    [
      '--cluster',
      'reshard',
      `${LOCAL}:7401`,
      '--cluster-from',
      from,
      '--cluster-to',
      to,
      '--cluster-slots',
      String(slots),
      '--cluster-yes',
    ],
    { timeout: 120_000, maxBuffer: 16 << 20 },
  ).catch((e: { stdout?: string; stderr?: string }) => {
    throw new Error(
      `reshard failed:\n${(e.stdout ?? '').slice(-1500)}\n${e.stderr}\ntunnel log:\n${tunnel.stderr().slice(-3000)}`,
    );
  });
  expect(stdout).not.toMatch(/ERR|error/i);
  return (stdout.match(/^Moving slot/gm) ?? []).length;
}

async function readBack(keys: string[]): Promise<number> {
  const reader = new Cluster([{ host: LOCAL, port: 7402 }]);
  try {
    let found = 0;
    for (let i = 0; i < keys.length; i += 500) {
      const values = await Promise.all(keys.slice(i, i + 500).map((k) => reader.get(k)));
      found += values.filter((v, j) => v === keys[i + j]).length;
    }
    return found;
  } finally {
    reader.disconnect();
  }
}

/** Registers the scenarios against a tunnel started with `extraArgs`; `label` names the run. */
export function liveTopologyChanges(extraArgs: string[], label: string): void {
  clusterAndTunnel(
    LAYOUTS.live,
    ['--refresh-interval', '2000', '--retire-after', '5000', ...extraArgs],
    (c, t) => {
      cluster = c;
      tunnel = t;
    },
  );

  describe(`live topology changes (${label})`, () => {
    it('a master is killed under write load: acknowledged writes survive, the client recovers', async () => {
      const before = await topology();
      const victim = before.find((n) => n.master && n.port === 7401) as NodeState;
      const victimIndex = cluster.nodes.findIndex((n) => n.port === victim.port);
      const inVictim = (key: string): boolean =>
        victim.ranges.some(([a, b]) => hashSlot(key) >= a && hashSlot(key) <= b);
      const client = new Cluster([{ host: LOCAL, port: 7402 }], {
        retryDelayOnClusterDown: 300,
        retryDelayOnFailover: 300,
      });
      const load = writeLoad(client, 'fo', 4, 200_000, 30_000);
      await sleep(2000);
      const killedAt = Date.now();
      await cluster.stopNode(victimIndex, 'SIGKILL');
      // Wait until a replica owns the victim's slots, then until writes there succeed again.
      await waitFor('a replica to take over', NODE_TIMEOUT_MS + 15_000, async () => {
        const now = await topology();
        return now.some(
          (n) => n.master && n.id !== victim.id && n.ranges.some(([a]) => a === victim.ranges[0][0]),
        );
      });
      await sleep(NODE_TIMEOUT_MS + 2000);
      load.stop();
      const result = await load.done;
      client.disconnect();
      // Recovered: the first write sent after the kill to the dead master's slots is acknowledged.
      const firstOk = [...result.timing.entries()]
        .filter(([k, t]) => t.sent > killedAt && inVictim(k))
        .map(([, t]) => t.acked)
        .sort((a, b) => a - b)[0];
      const recoveryMs = firstOk - killedAt;
      const readable = await readBack(result.acked);
      const summary = `failover: ${result.acked.length} writes acknowledged, ${readable} read back, ${result.errors.length} errors (first ${result.errors[0]?.message ?? '-'}), writes to the killed master's slots recovered ${recoveryMs} ms after the kill (node-timeout ${NODE_TIMEOUT_MS} ms)`;
      console.log(summary);
      expect(result.acked.length).toBeGreaterThan(1000);
      expect(readable).toBe(result.acked.length);
      expect(recoveryMs).toBeGreaterThan(0);
      expect(recoveryMs).toBeLessThan(NODE_TIMEOUT_MS + 6000);
      expect(tunnel.proc.exitCode).toBeNull();
      // Bring the killed node back: it rejoins as a replica.
      await cluster.restartNode(victimIndex);
      await settle(cluster);
    });

    it('CLUSTER FAILOVER sent to a replica through the tunnel: the client sees no errors', async () => {
      const replica = (await topology()).find((n) => !n.master) as NodeState;
      const client = new Cluster([{ host: LOCAL, port: 7401 }]);
      const load = writeLoad(client, 'mf', 2, 100_000, 20_000);
      await sleep(1000);
      expect((await redisCli(['-p', String(replica.port), 'CLUSTER', 'FAILOVER'])).trim()).toBe('OK');
      await waitFor('the replica to become master', 20_000, async () =>
        (await topology()).some((n) => n.id === replica.id && n.master),
      );
      await sleep(2000);
      load.stop();
      const result = await load.done;
      client.disconnect();
      console.log(
        `manual failover: ${result.acked.length} writes acknowledged, ${result.errors.length} errors`,
      );
      expect(result.errors).toEqual([]);
      expect(await readBack(result.acked)).toBe(result.acked.length);
      await settle(cluster);
    });

    it('resharding with redis-cli --cluster reshard through the tunnel during load: no errors reach the client', async () => {
      const masters = (await topology()).filter((n) => n.master && n.ranges.length > 0);
      const [from, to] = [masters[0], masters[1]];
      const client = new Cluster([{ host: LOCAL, port: 7401 }]);
      const load = writeLoad(client, 'rs', 2, 100_000, 60_000);
      await sleep(500);
      const moved = await reshard(from.id, to.id, 300);
      load.stop();
      const result = await load.done;
      client.disconnect();
      console.log(
        `reshard: ${moved} slot moves, ${result.acked.length} writes acknowledged, ${result.errors.length} errors`,
      );
      expect(moved).toBe(300);
      expect(result.errors).toEqual([]);
      expect(await readBack(result.acked)).toBe(result.acked.length);
      const check = await redisCli(['--cluster', 'check', `${LOCAL}:7401`]);
      expect(check).toContain('[OK] All 16384 slots covered.');
      expect(check).not.toContain('[ERR]');
    });

    it('a node added after the tunnel started gets a listener and serves traffic', async () => {
      const added = await cluster.addNode();
      await waitFor('the tunnel to serve the new node', 20_000, async () =>
        tunnel.stderr().includes(`new node ${added.ip}:${added.port} (master) served at 127.0.0.1:7407`),
      );
      const newId = (await cluster.cli(added, ['CLUSTER', 'MYID'])).trim();
      const donor = (await topology()).find((n) => n.master && n.ranges.length > 0) as NodeState;
      expect(await reshard(donor.id, newId, 200)).toBe(200);
      const mine = (await topology()).find((n) => n.id === newId) as NodeState;
      expect(mine.ranges.length).toBeGreaterThan(0);
      const client = new Cluster([{ host: LOCAL, port: 7401 }]);
      try {
        const keys = Array.from({ length: 2000 }, (_, i) => `new:${i}`).filter((k) =>
          mine.ranges.some(([a, b]) => hashSlot(k) >= a && hashSlot(k) <= b),
        );
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) await client.set(k, k);
        for (const k of keys) expect(await client.get(k)).toBe(k);
        expect(client.nodes('master').map((n) => n.options.port)).toContain(7407);
      } finally {
        client.disconnect();
      }
      expect(
        (await redisCli(['-p', '7401', 'CLUSTER', 'NODES']))
          .split('\n')
          .some((l) => l.startsWith(`${newId} 127.0.0.1:7407@`)),
      ).toBe(true);
    });
    it('a node removed with redis-cli --cluster del-node through the tunnel: its listener is retired', async () => {
      const gone = cluster.nodes[cluster.nodes.length - 1];
      const goneId = (await cluster.cli(gone, ['CLUSTER', 'MYID'])).trim();
      const keeper = (await topology()).find(
        (n) => n.master && n.id !== goneId && n.ranges.length > 0,
      ) as NodeState;
      const owned = ((await topology()).find((n) => n.id === goneId) as NodeState).ranges.reduce(
        (k, [a, b]) => k + b - a + 1,
        0,
      );
      expect(await reshard(goneId, keeper.id, owned)).toBe(owned);
      const { stdout } = await run('redis-cli', ['--cluster', 'del-node', `${LOCAL}:7401`, goneId], {
        timeout: 60_000,
      });
      // Every step went through the tunnel: CLUSTER FORGET to each node, CLUSTER RESET SOFT to it.
      expect(stdout, stdout).toContain('Sending CLUSTER RESET SOFT to the deleted node.');
      await waitFor('the listener of the removed node to close', 30_000, async () =>
        tunnel.stderr().includes(`node ${gone.ip}:${gone.port} left the cluster; closing its listener 7407`),
      );
      await expect(redisCli(['-p', '7407', 'PING'])).rejects.toThrow(/Connection refused|Could not connect/);
      const check = await redisCli(['--cluster', 'check', `${LOCAL}:7401`]);
      expect(check).toContain('[OK] All 16384 slots covered.');
      expect(check).not.toContain('7407');
    });
  });
}
