/**
 * Smart mode while the cluster changes under load (run by smart-live.test.ts in one process, and
 * by smart-workers-live.test.ts with --workers 2), on a real TLS cluster of its own
 * (127.0.0.71-77): a live reshard, a master killed, a subscriber whose node is killed, a shard
 * channel whose slot moves, and a node that joins, takes slots and leaves. A
 * client that does not speak Cluster must never see MOVED or ASK, and every acknowledged write
 * must read back. Every load loop is bounded in count and in time.
 */
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { LAYOUTS, type RunningCluster, settle, sleep, waitFor } from '../../../scripts/lib/cluster.js';
import { keyForSlot } from '../../../src/topology/hash-slot.js';
import { type LoadResult, writeLoad } from './load.js';
import { type RunningTunnel, clusterAndTunnel } from './tunnel.js';

/** The cluster and the tunnel of the scenarios running now. */
let cluster: RunningCluster;
let tunnel: RunningTunnel;

const run = promisify(execFile);
const LOCAL = '127.0.0.1';
const PORT = 6391;
const NODE_TIMEOUT_MS = LAYOUTS['smart-live'].nodeTimeoutMs;

/** writeLoad through the smart port on a client of its own, disconnected when the load ends. */
function smartLoad(
  prefix: string,
  workers: number,
  maxOps: number,
  maxMs: number,
): { stop: () => void; done: Promise<LoadResult> } {
  const client = new Redis({ host: LOCAL, port: PORT, maxRetriesPerRequest: 0, enableOfflineQueue: true });
  const load = writeLoad(client, prefix, workers, maxOps, maxMs);
  return { stop: load.stop, done: load.done.finally(() => client.disconnect()) };
}

async function readBack(keys: string[]): Promise<number> {
  const reader = new Redis({ host: LOCAL, port: PORT });
  try {
    let found = 0;
    for (let i = 0; i < keys.length; i += 500) {
      const values = await reader.mget(...keys.slice(i, i + 500));
      found += values.filter((v, j) => v === keys[i + j]).length;
    }
    return found;
  } finally {
    reader.disconnect();
  }
}

/** Master id → its first slot, and its ip:port, as the real cluster says (asked directly). */
async function masters(): Promise<Array<{ id: string; ip: string; port: number; first: number }>> {
  const alive = cluster.nodes.find((n) => n.pid) as (typeof cluster.nodes)[number];
  const text = await cluster.cli(alive, ['CLUSTER', 'NODES']);
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .filter((t) => t[2].includes('master') && !t[2].includes('fail') && t.length > 8)
    .map((t) => {
      const [ip, port] = t[1].split('@')[0].split(':');
      return { id: t[0], ip, port: Number(port), first: Number(t[8].split('-')[0]) };
    })
    .sort((a, b) => a.first - b.first);
}

/** redis-cli --cluster reshard against the real nodes; the number of slots it moved. */
async function reshard(from: string, to: string, slots: number): Promise<number> {
  const seed = cluster.nodes.find((n) => n.pid) as (typeof cluster.nodes)[number];
  const { stdout } = await run(
    'redis-cli',
    [
      ...cluster.tlsArgs(),
      '--cluster',
      'reshard',
      `${seed.ip}:${seed.port}`,
      '--cluster-from',
      from,
      '--cluster-to',
      to,
      '--cluster-slots',
      String(slots),
      '--cluster-yes',
    ],
    { env: { ...process.env, REDISCLI_AUTH: cluster.spec.password }, timeout: 120_000, maxBuffer: 16 << 20 },
  );
  return (stdout.match(/^Moving slot/gm) ?? []).length;
}

/** Registers the scenarios against a tunnel started with `extraArgs`; `label` names the run. */
export function smartLiveChanges(extraArgs: string[], label: string): void {
  clusterAndTunnel(
    LAYOUTS['smart-live'],
    ['--mode', 'smart', '--smart-port', String(PORT), '--refresh-interval', '1000', ...extraArgs],
    (c, t) => {
      cluster = c;
      tunnel = t;
    },
  );

  describe(`smart mode under live changes (${label})`, () => {
    it('a live reshard under load: no MOVED or ASK reaches the client, every write reads back', async () => {
      const [from, to] = await masters();
      const load = smartLoad('sl:rs', 4, 100_000, 60_000);
      await sleep(500);
      const moved = await reshard(from.id, to.id, 300);
      load.stop();
      const result = await load.done;
      const readable = await readBack(result.acked);
      console.log(
        `smart reshard: ${moved} slot moves, ${result.acked.length} writes acknowledged, ${readable} read back, ${result.errors.length} errors`,
      );
      expect(moved).toBe(300);
      expect(result.errors).toEqual([]);
      expect(readable).toBe(result.acked.length);
    });

    it('a master killed under load: the client recovers, no MOVED or ASK, acknowledged writes read back', async () => {
      const victim = (await masters())[1];
      const index = cluster.nodes.findIndex((n) => n.port === victim.port);
      const load = smartLoad('sl:fo', 4, 200_000, 30_000);
      await sleep(1500);
      await cluster.stopNode(index, 'SIGKILL');
      await waitFor('a replica to take over', NODE_TIMEOUT_MS + 15_000, async () =>
        (await masters()).some((m) => m.first === victim.first && m.id !== victim.id),
      );
      await sleep(NODE_TIMEOUT_MS + 2000);
      load.stop();
      const result = await load.done;
      const readable = await readBack(result.acked);
      console.log(
        `smart failover: ${result.acked.length} writes acknowledged, ${readable} read back, ${result.errors.length} errors (first: ${result.errors[0]?.message ?? '-'})`,
      );
      expect(result.acked.length).toBeGreaterThan(1000);
      expect(readable).toBe(result.acked.length);
      expect(result.errors.filter((e) => /MOVED|ASK/.test(e.message))).toEqual([]);
      expect(tunnel.proc.exitCode).toBeNull();
      await cluster.restartNode(index);
      await settle(cluster);
    });

    it('a subscriber keeps hearing messages after the node it listens on is killed', async () => {
      const home = (await masters())[0];
      const index = cluster.nodes.findIndex((n) => n.port === home.port);
      const sub = new Redis({ host: LOCAL, port: PORT });
      const pub = new Redis({ host: LOCAL, port: PORT });
      const got: string[] = [];
      try {
        sub.on('message', (_ch: string, m: string) => got.push(m));
        await sub.subscribe('sl:news');
        await pub.publish('sl:news', 'before');
        await waitFor('the first message', 5000, async () => got.includes('before'));
        await cluster.stopNode(index, 'SIGKILL');
        await waitFor('a replica to take over', NODE_TIMEOUT_MS + 15_000, async () =>
          (await masters()).some((m) => m.first === home.first && m.id !== home.id),
        );
        // Published until heard (bounded): the tunnel renews the subscription on the new home node.
        let n = 0;
        await waitFor('a message after the failover', 20_000, async () => {
          expect(tunnel.proc.exitCode, tunnel.stderr().slice(-3000)).toBeNull();
          await pub.publish('sl:news', `after${n++}`).catch(() => 0);
          return got.some((m) => m.startsWith('after'));
        });
        expect(tunnel.stderr(), tunnel.stderr().slice(-3000)).toContain('subscriptions renewed on');
        // Renewals back off while the dead node still looks like the master: a few, not a flood.
        const renewals = tunnel.stderr().split('subscriptions renewed on').length - 1;
        console.log(`subscriber failover: ${renewals} renewals`);
        expect(renewals).toBeLessThan(20);
      } finally {
        sub.disconnect();
        pub.disconnect();
      }
      await cluster.restartNode(index);
      await settle(cluster);
    });

    it('a shard channel whose slot moves: the subscriber hears SPUBLISH before and after, never an SUNSUBSCRIBE', async () => {
      const [from, to] = await masters();
      // reshard moves the source's lowest slots first: this channel's slot goes in a one-slot move.
      const channel = keyForSlot(from.first, 'sl:shard:');
      const sub = net.connect({ host: LOCAL, port: PORT });
      let stream = '';
      sub.on('data', (d: Buffer) => (stream += d.toString('latin1')));
      const pub = new Redis({ host: LOCAL, port: PORT });
      try {
        sub.write(`SSUBSCRIBE ${channel}\r\n`);
        await waitFor('the confirmation', 5000, async () => stream.includes('ssubscribe'));
        expect(await pub.spublish(channel, 'before')).toBe(1);
        expect(await reshard(from.id, to.id, 1)).toBe(1);
        expect((await masters()).find((m) => m.id === to.id)?.first).toBeLessThanOrEqual(from.first);
        let n = 0;
        await waitFor('a message on the new owner', 20_000, async () => {
          await pub.spublish(channel, `after${n++}`);
          return stream.includes('$6\r\nafter');
        });
        expect(stream).toContain('$6\r\nbefore\r\n');
        expect(stream).not.toContain('sunsubscribe');
      } finally {
        sub.destroy();
        pub.disconnect();
      }
    });

    it('a node joins, takes slots and leaves again under load: no MOVED or ASK, every write reads back', async () => {
      const load = smartLoad('sl:jl', 4, 200_000, 120_000);
      await sleep(500);
      const added = await cluster.addNode();
      const newId = (await cluster.cli(added, ['CLUSTER', 'MYID'])).trim();
      const donor = (await masters())[0];
      expect(await reshard(donor.id, newId, 200)).toBe(200);
      const mine = (await masters()).find((m) => m.id === newId) as { first: number };
      // The new node serves its keys through the one port, and really holds them.
      const key = keyForSlot(mine.first, 'sl:jl:direct:');
      const probe = new Redis({ host: LOCAL, port: PORT });
      try {
        await waitFor('the new node to answer through the smart port', 20_000, async () => {
          await probe.set(key, 'on-the-new-node');
          return (await cluster.cli(added, ['GET', key])).trim() === 'on-the-new-node';
        });
      } finally {
        probe.disconnect();
      }
      await sleep(1000);
      expect(await reshard(newId, donor.id, 200)).toBe(200);
      const seed = cluster.nodes[0];
      await run(
        'redis-cli',
        [...cluster.tlsArgs(), '--cluster', 'del-node', `${seed.ip}:${seed.port}`, newId],
        {
          env: { ...process.env, REDISCLI_AUTH: cluster.spec.password },
          timeout: 60_000,
        },
      );
      await cluster.stopNode(added.index);
      await sleep(1500);
      load.stop();
      const result = await load.done;
      const readable = await readBack(result.acked);
      console.log(
        `smart join/leave: ${result.acked.length} writes acknowledged, ${readable} read back, ${result.errors.length} errors`,
      );

      expect(result.errors).toEqual([]);
      expect(readable).toBe(result.acked.length);
      expect(tunnel.proc.exitCode).toBeNull();
      await settle(cluster);
    });
  });
}
