/**
 * Real clusters in the layouts managed services use, each started by the project's scripts:
 * every node on the same port (127.0.0.11-16:6379, like ElastiCache); hostname endpoints (names
 * that do not resolve here, reached through --resolve); unknown-endpoint (null hosts, `:port`
 * redirects). For each: redis-cli -c, ioredis, node-redis and redis-py with zero errors through
 * the pinned listeners, and the standalone clients through smart mode's port, served alongside.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS, type RunningCluster, startCluster } from '../../scripts/lib/cluster.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import { type RunningTunnel, redisCli, startTunnel } from './helpers/tunnel.js';
import { standaloneBenchmark, standaloneWorkload } from './helpers/standalone.js';
import { mixedWorkload } from './helpers/workload.js';

interface Case {
  layout: string;
  seedArgs: (c: RunningCluster) => string[];
  /** Local ports the six nodes must get. */
  ports: number[];
  /** The seed's local port. */
  seedPort: number;
  /** Smart mode's port, served alongside the pinned listeners (--mode both). */
  smartPort: number;
}

const CASES: Case[] = [
  {
    layout: 'same-port',
    seedArgs: (c) => [`rediss://${c.spec.user}@${c.nodes[0].ip}:6379`, '--cacert', c.certs.caCert],
    ports: [6379, 6380, 6381, 6382, 6383, 6384],
    seedPort: 6379,
    smartPort: 6392,
  },
  {
    layout: 'hostname',
    // The seed is given by a name this machine cannot resolve; --resolve says where it is.
    seedArgs: (c) => [
      `rediss://${c.spec.user}@${c.nodes[0].hostname}:${c.nodes[0].port}`,
      '--resolve',
      `${c.nodes[0].hostname}:${c.nodes[0].port}:${c.nodes[0].ip}`,
      '--cacert',
      c.certs.caCert,
    ],
    ports: [7101, 7102, 7103, 7104, 7105, 7106],
    seedPort: 7101,
    smartPort: 6393,
  },
  {
    layout: 'unknown-endpoint',
    seedArgs: (c) => [
      `rediss://${c.spec.user}@${c.nodes[0].ip}:${c.nodes[0].port}`,
      '--cacert',
      c.certs.caCert,
    ],
    ports: [7201, 7202, 7203, 7204, 7205, 7206],
    seedPort: 7201,
    smartPort: 6394,
  },
];

for (const c of CASES) {
  describe(`layout: ${c.layout}`, () => {
    let cluster: RunningCluster;
    let tunnel: RunningTunnel;

    beforeAll(async () => {
      cluster = await startCluster(LAYOUTS[c.layout]);
      const smart = ['--mode', 'both', '--smart-port', String(c.smartPort)];
      tunnel = await startTunnel([...c.seedArgs(cluster), ...smart, '--log-level', 'debug'], {
        REDISCLI_AUTH: cluster.spec.password,
      });
    });

    afterAll(async () => {
      const code = await tunnel?.stop();
      await cluster?.stop();
      expect(code).toBe(0);
      expect(tunnel.stderr()).not.toContain(cluster.spec.password);
    });

    it('every node gets a distinct local port, shown in the table with the seed', () => {
      const out = tunnel.stdout();
      for (const p of c.ports) expect(out).toMatch(new RegExp(`^127\\.0\\.0\\.1:${p} `, 'm'));
      expect(out).toContain(`Point cluster clients at 127.0.0.1:${c.seedPort}`);
      if (c.layout === 'hostname')
        expect(out).toMatch(/127\.0\.0\.1:7101 +node1\.hostname\.example:7101 +master/);
    });

    it('MOVED from the seed listener names a local listener', async () => {
      const ranges = await cluster.slotRanges();
      const far = ranges[ranges.length - 1];
      const out = (await redisCli(['-p', String(c.seedPort), 'GET', keyForSlot(far.end, 'mv:')])).trim();
      expect(out).toMatch(new RegExp(`^MOVED ${far.end} 127\\.0\\.0\\.1:(${c.ports.join('|')})$`));
    });

    it('redis-cli -c, ioredis, node-redis and redis-py: mixed workload, zero errors', async () => {
      const r = await mixedWorkload(cluster, c.seedPort, c.layout);
      expect(r.redisCli.errors).toEqual([]);
      expect(r.redisCli.keys).toBe(9);
      expect(r.ioredis.errors).toBe(0);
      expect(r.ioredis.nodes).toEqual(c.ports);
      expect(r.nodeRedis.errors).toBe(0);
      expect(r.nodeRedis.masters).toHaveLength(3);
      expect(r.nodeRedis.masters.every((p) => c.ports.includes(p))).toBe(true);
      expect(r.redisPy.errors).toEqual([]);
      expect(r.redisPy.mismatches).toBe(0);
      expect(r.redisPy.nodes).toEqual(c.ports);
    });

    it('redis-cli --cluster check through the tunnel: all slots covered', async () => {
      const out = await redisCli(['--cluster', 'check', `127.0.0.1:${c.seedPort}`]);
      expect(out).toContain('[OK] All 16384 slots covered.');
      expect(out).not.toContain('[ERR]');
    });

    it('smart mode: redis-cli without -c on every master, never a MOVED', async () => {
      for (const r of await cluster.slotRanges())
        for (const slot of [r.start, r.end]) {
          const key = keyForSlot(slot, `${c.layout}:smart:`);
          expect(await redisCli(['-p', String(c.smartPort), 'SET', key, `v${slot}`])).toBe('OK\n');
          expect(await redisCli(['-p', String(c.smartPort), 'GET', key])).toBe(`v${slot}\n`);
        }
      const keys = (await cluster.slotRanges()).map((r) => keyForSlot(r.end, `${c.layout}:smart:`));
      expect(await redisCli(['-p', String(c.smartPort), 'DEL', ...keys])).toBe(`${keys.length}\n`);
    });

    it('smart mode: ioredis, node-redis RESP2/RESP3, redis-py standalone, zero errors', async () => {
      const r = await standaloneWorkload(c.smartPort, `${c.layout}:std`);
      expect(r.ioredis).toEqual({ errors: 0 });
      expect(r.nodeRedis2).toEqual({ errors: 0 });
      expect(r.nodeRedis3).toEqual({ errors: 0 });
      expect(r.redisPy).toMatchObject({ errors: [], mismatches: 0 });
    });

    it('smart mode: redis-benchmark standalone, set/get/incr/lpush/rpop and a cross-slot mset', async () => {
      const { tests, output } = await standaloneBenchmark(c.smartPort);
      expect(tests).toHaveLength(6);
      expect(output).not.toMatch(/MOVED|ASK|ERR|CROSSSLOT/);
    });
  });
}
