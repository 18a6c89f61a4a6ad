/// <reference lib="dom" />
/**
 * The status page in a real browser (Debian's chromium, driven by playwright-core, headless, no
 * network beyond loopback): while redis-benchmark runs against one master's local port and that
 * master's replica is promoted with CLUSTER FAILOVER, the page shows every node, a slot map of all
 * 16384 slots, the traffic on that master's row and the role change, with no reload, no request
 * outside the tunnel and no console error. A screenshot is saved in test-results/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../scripts/lib/cluster.js';
import { hashSlot } from '../../src/topology/hash-slot.js';
import { askNode } from './helpers/node.js';
import { type RunningTunnel, localPortOf, seedArgs, startTunnel } from './helpers/tunnel.js';

const c = inject('cluster');
const STATUS_PORT = 6407;
const SMART_PORT = 6408;
const PAGE = `http://127.0.0.1:${STATUS_PORT}/`;
let tunnel: RunningTunnel;
let browser: Browser;

interface StatusNode {
  id: string;
  node: string;
  role: string;
  master?: string;
  slots: string;
}

async function status(): Promise<{ nodes: StatusNode[] }> {
  return (await (await fetch(`${PAGE}status`)).json()) as { nodes: StatusNode[] };
}

beforeAll(async () => {
  tunnel = await startTunnel(
    [
      ...seedArgs(c),
      '--status-port',
      String(STATUS_PORT),
      '--refresh-interval',
      '500',
      '--mode',
      'both',
      '--smart-port',
      String(SMART_PORT),
    ],
    {
      REDISCLI_AUTH: c.password,
    },
  );
  // Headless, as root, and making no connection of its own (updates, safe browsing, metrics).
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  expect(await tunnel?.stop()).toBe(0);
});

describe('the status page', () => {
  it('shows nodes, slots, live traffic and a failover without a reload; loads nothing from outside', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requested: string[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(PAGE);

    // Every node with its role; the slot map covers all 16384 slots.
    await page.waitForFunction(() => document.querySelectorAll('#nodes tr[data-node-id]').length === 6);
    const before = await status();
    const roles = await page.$$eval('#nodes tr[data-node-id]', (rows) =>
      rows.map((r) => [r.getAttribute('data-node-id'), r.querySelector('[data-field="role"]')?.textContent]),
    );
    expect(roles.map(([, role]) => role?.split(' ')[0]).sort()).toEqual([
      'master',
      'master',
      'master',
      'replica',
      'replica',
      'replica',
    ]);
    const parts = await page.$$eval('[data-slot-map] [data-slots]', (els) =>
      els.map((e) => e.getAttribute('data-slots') as string),
    );
    const covered = parts
      .flatMap((p) => p.split(','))
      .map((r) => r.split('-').map(Number))
      .reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
    expect(covered).toBe(16384);

    // Traffic on one master, shown on its row.
    const master = c.nodes[0];
    const masterRow = before.nodes.find((n) => n.node === `${master.ip}:${master.port}`) as StatusNode;
    expect(masterRow.role).toBe('master');
    const replicaRow = before.nodes.find((n) => n.master === masterRow.node) as StatusNode;
    const [lo] = masterRow.slots.split(' ')[0].split('-').map(Number);
    const key = Array.from({ length: 5000 }, (_, i) => `k${i}`).find(
      (k) => hashSlot(k) >= lo && hashSlot(k) <= lo + 100,
    ) as string;
    const port = localPortOf(tunnel.stdout(), master);
    const bench: ChildProcess = spawn(
      'redis-benchmark',
      ['-p', String(port), '-n', '400000', '-c', '8', 'GET', key],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let benchErr = '';
    bench.stderr?.on('data', (d: Buffer) => (benchErr += d.toString()));
    try {
      await page
        .waitForFunction(
          (id) =>
            Number(document.querySelector(`tr[data-node-id="${id}"] [data-field="ops"]`)?.textContent) > 500,
          masterRow.id,
          { timeout: 10_000 },
        )
        .catch((e: unknown) => {
          throw new Error(`no traffic shown: ${String(e)}; redis-benchmark said: ${benchErr}`);
        });
      // The same traffic in /metrics: a latency histogram per node.
      const metrics = await (await fetch(`${PAGE}metrics`)).text();
      const count = new RegExp(
        `^redis_cluster_tunnel_node_latency_seconds_count\\{node="${masterRow.node}"\\} (\\d+)$`,
        'm',
      ).exec(metrics);
      expect(Number(count?.[1])).toBeGreaterThan(500);
      const infBucket = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith('redis_cluster_tunnel_node_latency_seconds_bucket{') &&
            l.includes(`node="${masterRow.node}"`) &&
            l.includes('le="+Inf"'),
        );
      expect(infBucket?.split(' ')[1]).toBe(count?.[1]);
      // Hot keys, pinned: the shared connection's requests are sampled too; the benchmark's key leads.
      type HotRow = StatusNode & { hotKeys: Array<{ key: string; requests: number }> };
      const pinnedHot = ((await status()).nodes.find((n) => n.id === masterRow.id) as HotRow).hotKeys;
      expect(pinnedHot[0].key).toBe(key);
      expect(pinnedHot[0].requests).toBeGreaterThan(500);
      // Smart mode samples the keys it routes: 20,000 GETs of a key on another master lead there.
      const ownerOf = (k: string, rows: StatusNode[]): StatusNode | undefined =>
        rows.find(
          (n) =>
            n.role === 'master' &&
            n.slots.split(' ').some((r) => {
              const [a, b] = r.split('-').map(Number);
              return hashSlot(k) >= a && hashSlot(k) <= (b ?? a);
            }),
        );
      const rows = (await status()).nodes;
      const hot = Array.from({ length: 50 }, (_, i) => `${key}:hot${i}`).find(
        (k) => ownerOf(k, rows)?.id !== masterRow.id,
      ) as string;
      const smartBench = spawn(
        'redis-benchmark',
        ['-p', String(SMART_PORT), '-n', '20000', '-c', '4', 'GET', hot],
        { stdio: 'ignore' },
      );
      await new Promise((r) => smartBench.once('exit', r));
      const hotOwner = ownerOf(hot, (await status()).nodes) as HotRow;
      expect(hotOwner.hotKeys[0].key).toBe(hot);
      // Sampled one in 8 and scaled back: within the sampling's own rounding of the 20,000 GETs.
      expect(Math.abs(hotOwner.hotKeys[0].requests - 20000)).toBeLessThanOrEqual(8 * 4);
      await page.waitForFunction(
        ([id, k]) =>
          document
            .querySelector(`tr[data-node-id="${id}"] [data-field="hot-keys"]`)
            ?.textContent?.startsWith(k),
        [hotOwner.id, hot],
        { timeout: 5000 },
      );
      // The replica is promoted: both rows change role on the page.
      const replica = c.nodes.find((n) => replicaRow.node === `${n.ip}:${n.port}`);
      expect(replica).toBeDefined();
      expect(
        (
          await askNode(c, ['CLUSTER', 'FAILOVER'], c.nodes.indexOf(replica as (typeof c.nodes)[number]))
        ).trim(),
      ).toBe('OK');
      await page.waitForFunction(
        ([m, r]) =>
          document.querySelector(`tr[data-node-id="${r}"] [data-field="role"]`)?.textContent === 'master' &&
          document
            .querySelector(`tr[data-node-id="${m}"] [data-field="role"]`)
            ?.textContent?.startsWith('replica of'),
        [masterRow.id, replicaRow.id],
        { timeout: 15_000 },
      );
      mkdirSync(resolve(__dirname, '../../test-results'), { recursive: true });
      await page.screenshot({
        path: resolve(__dirname, '../../test-results/status-page.png'),
        fullPage: true,
      });
    } finally {
      if (bench.exitCode === null) bench.kill('SIGTERM');
      // Back as it was, for the tests after this one (asked again until the old master has synced).
      await waitFor('the first node to be a master again', 30_000, async () => {
        if ((await askNode(c, ['ROLE'], 0)).startsWith('master')) return true;
        await askNode(c, ['CLUSTER', 'FAILOVER'], 0).catch(() => '');
        return false;
      });
    }
    expect(requested.filter((u) => !u.startsWith(`http://127.0.0.1:${STATUS_PORT}/`))).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 90_000);

  it('marks slots in motion (CLUSTER SETSLOT MIGRATING/IMPORTING) on the map and in /status, and clears them', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(PAGE);
    // After the failover test's failback, once the tunnel has read it: three masters, one per shard.
    await waitFor(
      'three masters in /status',
      10_000,
      async () => (await status()).nodes.filter((n) => n.role === 'master').length === 3,
    );
    const masters = (await status()).nodes.filter((n) => n.role === 'master');
    const [from, to] = masters;
    const indexOf = (row: StatusNode): number => c.nodes.findIndex((n) => row.node === `${n.ip}:${n.port}`);
    const slot = Number(from.slots.split(' ')[0].split('-')[0]) + 7;
    type Moving = StatusNode & { migrating?: unknown; importing?: unknown };
    try {
      // The node first: each side lists the move on its own (myself) line of CLUSTER NODES.
      expect(
        (await askNode(c, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from.id], indexOf(to))).trim(),
      ).toBe('OK');
      expect(
        (await askNode(c, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to.id], indexOf(from))).trim(),
      ).toBe('OK');
      const own = async (row: StatusNode): Promise<string> =>
        (await askNode(c, ['CLUSTER', 'NODES'], indexOf(row)))
          .split('\n')
          .find((l) => l.includes('myself')) ?? '';
      expect(await own(from)).toContain(`[${slot}->-${to.id}]`);
      expect(await own(to)).toContain(`[${slot}-<-${from.id}]`);

      // The tunnel reads them at its next refresh (every 500 ms here).
      await waitFor('the move in /status', 5000, async () => {
        const rows = (await status()).nodes as Moving[];
        return rows.some((n) => n.id === from.id && n.migrating !== undefined);
      });
      const rows = (await status()).nodes as Moving[];
      expect(rows.find((n) => n.id === from.id)?.migrating).toEqual([
        { slots: `${slot}-${slot}`, peer: to.node },
      ]);
      expect(rows.find((n) => n.id === to.id)?.importing).toEqual([
        { slots: `${slot}-${slot}`, peer: from.node },
      ]);
      expect(rows.filter((n) => n.migrating !== undefined || n.importing !== undefined)).toHaveLength(2);
      // On the page: one mark each way, over that slot, without a reload.
      const marks = (): Promise<string[]> =>
        page.$$eval('[data-slot-map] [data-move]', (els) =>
          els.map((e) =>
            [
              e.getAttribute('data-move'),
              e.getAttribute('data-moving-slots'),
              e.getAttribute('data-node-id'),
            ].join(' '),
          ),
        );
      await page.waitForFunction(
        () => document.querySelectorAll('[data-slot-map] [data-move]').length === 2,
        null,
        {
          timeout: 5000,
        },
      );
      expect((await marks()).sort()).toEqual(
        [`importing ${slot}-${slot} ${to.id}`, `migrating ${slot}-${slot} ${from.id}`].sort(),
      );
      await page.screenshot({ path: resolve(__dirname, '../../test-results/status-page-moves.png') });
      expect(await page.$eval('#slot-moves', (e) => e.textContent)).toContain(
        `slot ${slot}: ${from.node} migrating to ${to.node}`,
      );
    } finally {
      await askNode(c, ['CLUSTER', 'SETSLOT', String(slot), 'STABLE'], indexOf(from));
      await askNode(c, ['CLUSTER', 'SETSLOT', String(slot), 'STABLE'], indexOf(to));
    }
    // Stable again: the marks go at the next refresh.
    await page.waitForFunction(
      () => document.querySelectorAll('[data-slot-map] [data-move]').length === 0,
      null,
      {
        timeout: 5000,
      },
    );
    const after = (await status()).nodes as Moving[];
    expect(after.filter((n) => n.migrating !== undefined || n.importing !== undefined)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
