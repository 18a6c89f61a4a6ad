/**
 * fill on a real TLS cluster of its own (127.0.0.81-83, three masters): random values over every
 * slot, keys per master in proportion to its slots, DBSIZE matching what the summary says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS, type RunningCluster, startCluster } from '../../scripts/lib/cluster.js';
import { runTunnelToExit } from './helpers/tunnel.js';

let cluster: RunningCluster;
let seed: string[];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cluster = await startCluster(LAYOUTS.status);
  seed = [
    `rediss://${cluster.spec.user}@${cluster.nodes[0].ip}:${cluster.nodes[0].port}`,
    '--cacert',
    cluster.certs.caCert,
  ];
  env = { REDISCLI_AUTH: cluster.spec.password };
});

afterAll(async () => {
  await cluster?.stop();
});

describe('fill', () => {
  it('fills every slot of every master; DBSIZE matches the summary, keys follow the slots', async () => {
    const r = await runTunnelToExit(
      ['fill', ...seed, '--gb', '0.01', '--value-size', '100', '--flush'],
      env,
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const keys = Math.ceil((0.01 * 2 ** 30) / 100);
    // One row per master: node, slots, keys, MiB.
    const rows = [...r.stdout.matchAll(/^ {2}(\S+:\d+) +(\d+) slots +([\d,]+) keys +([\d.]+) MiB$/gm)];
    expect(rows).toHaveLength(3);
    const perMaster = rows.map((m) => ({
      node: m[1],
      slots: Number(m[2]),
      keys: Number(m[3].replace(/,/g, '')),
    }));
    expect(perMaster.reduce((n, m) => n + m.keys, 0)).toBe(keys);
    expect(perMaster.reduce((n, m) => n + m.slots, 0)).toBe(16384);
    for (const m of perMaster) {
      const [ip, port] = m.node.split(':');
      expect(Number(await cluster.cli({ ip, port: Number(port) }, ['DBSIZE'])), m.node).toBe(m.keys);
      expect(Math.abs(m.keys / keys - m.slots / 16384)).toBeLessThan(0.001);
    }
    expect(r.stdout).toMatch(
      new RegExp(
        `total: ${keys.toLocaleString('en-US')} keys, [\\d.]+ MiB in [\\d.]+ s: [\\d.]+ MiB/s, [\\d,]+ SET/s`,
      ),
    );
    // Not a terminal: plain progress lines, ending at 100%.
    expect(r.stderr).toMatch(/^fill: 100% 10 of 10 MiB, [\d,]+ keys, [\d.]+ MiB\/s$/m);
    // Every slot got keys: the first and last of each range, and a spread of others.
    const ranges = await cluster.slotRanges();
    const sample = [
      ...ranges.flatMap((x) => [x.start, x.end]),
      ...Array.from({ length: 40 }, (_, i) => i * 409 + 7),
    ];
    for (const slot of sample) {
      const owner = ranges.find((x) => slot >= x.start && slot <= x.end) as (typeof ranges)[number];
      const count = Number(
        await cluster.cli({ ip: owner.ip, port: owner.port }, ['CLUSTER', 'COUNTKEYSINSLOT', String(slot)]),
      );
      expect(count, `slot ${slot}`).toBeGreaterThan(0);
    }
    const value = await cluster.cli({ ip: ranges[0].ip, port: ranges[0].port }, ['RANDOMKEY']);
    expect(value.trim()).toMatch(/^fill:\{[0-9a-z]+\}\d+$/);
  });

  it('--serial and --key-prefix: masters one after another, every key under the prefix', async () => {
    const r = await runTunnelToExit(
      [
        'fill',
        ...seed,
        '--gb',
        '0.002',
        '--value-size',
        '64',
        '--flush',
        '--serial',
        '--key-prefix',
        'mine:',
      ],
      env,
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const ranges = await cluster.slotRanges();
    const key = (await cluster.cli({ ip: ranges[1].ip, port: ranges[1].port }, ['RANDOMKEY'])).trim();
    expect(key.startsWith('mine:{')).toBe(true);
    expect(r.stdout).toMatch(/total: 33,555 keys/);
  });

  it('usage errors exit 2; a wrong password exits 1 naming the node and the reason', async () => {
    expect((await runTunnelToExit(['fill', ...seed], env)).code).toBe(2);
    expect((await runTunnelToExit(['fill', ...seed, '--gb', '-1'], env)).code).toBe(2);
    const wrong = await runTunnelToExit(['fill', ...seed, '--gb', '0.001'], { REDISCLI_AUTH: 'wrong' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/127\.0\.0\.81:7801.*WRONGPASS/);
  });
});
