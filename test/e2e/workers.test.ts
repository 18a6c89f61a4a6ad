/**
 * --workers 2 on the project's real TLS cluster: both modes served by worker processes, clients
 * spread over both, a credential refresh in the primary reaching the workers' connections, a
 * worker that dies replaced, and a clean stop that leaves no process behind. The live topology
 * changes with workers are in workers-live.test.ts.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../scripts/lib/cluster.js';
import { type RunningTunnel, authCommandArgs, redisCli, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const STATUS = 9191;
const SMART = 6421;

interface WorkerRow {
  worker: number;
  pid: number;
  ready: boolean;
  connections: { pinned: number; smart: number };
}

async function workers(): Promise<WorkerRow[]> {
  const status = (await (await fetch(`http://127.0.0.1:${STATUS}/status`)).json()) as {
    workers: WorkerRow[];
  };
  return status.workers;
}

/** Opens `n` connections to `port` that each answered PING; the caller closes them. */
async function openClients(port: number, n: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
          s.once('data', (d: Buffer) =>
            d.toString() === '+PONG\r\n' ? resolve(s) : reject(new Error(String(d))),
          );
          s.once('error', reject);
        }),
    ),
  );
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('--workers 2', () => {
  let tunnel: RunningTunnel;

  beforeAll(async () => {
    tunnel = await startTunnel(
      [
        ...seedArgs(description),
        '--workers',
        '2',
        '--mode',
        'both',
        '--smart-port',
        String(SMART),
        '--status-port',
        String(STATUS),
      ],
      { REDISCLI_AUTH: description.password },
    );
  });

  afterAll(async () => {
    if (tunnel) expect(await tunnel.stop()).toBe(0);
  });

  it('both modes are served, and the clients are spread over both workers', async () => {
    expect(tunnel.stderr()).toMatch(/2 worker processes serve the clients \(pids \d+, \d+\)/);
    const slots = await redisCli(['-p', '7001', 'CLUSTER', 'SLOTS']);
    expect(slots).toContain('127.0.0.1');
    expect(slots).not.toContain('127.0.0.11');
    expect((await redisCli(['-c', '-p', '7001', 'SET', 'workers:a', '1'])).trim()).toBe('OK');
    expect((await redisCli(['-c', '-p', '7002', 'GET', 'workers:a'])).trim()).toBe('1');
    // Three keys in three slots of different masters, through the smart port.
    expect((await redisCli(['-p', String(SMART), 'MSET', 'a', '1', 'b', '2', 'c', '3'])).trim()).toBe('OK');
    expect((await redisCli(['-p', String(SMART), 'MGET', 'a', 'b', 'c'])).trim().split('\n')).toEqual([
      '1',
      '2',
      '3',
    ]);
    const clients = [...(await openClients(7001, 10)), ...(await openClients(SMART, 10))];
    try {
      await waitFor('both workers to report their clients', 5000, async () => {
        const rows = await workers();
        const sum = rows.reduce((n, r) => n + r.connections.pinned + r.connections.smart, 0);
        return rows.length === 2 && sum === 20;
      });
      for (const row of await workers()) {
        expect(row.ready).toBe(true);
        expect(row.connections.pinned).toBe(5);
        expect(row.connections.smart).toBe(5);
      }
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it('a worker that dies is replaced, and new clients are served', async () => {
    const before = await workers();
    process.kill(before[0].pid, 'SIGKILL');
    await waitFor('a new worker 1', 10_000, async () => {
      const rows = await workers();
      return rows[0].ready && rows[0].pid !== before[0].pid;
    });
    expect(tunnel.stderr()).toContain(
      'worker 1 exited (SIGKILL); its clients were disconnected; starting another',
    );
    const clients = await openClients(7001, 6);
    for (const c of clients) c.destroy();
    expect(clients.length).toBe(6);
  });

  it('SIGTERM: exit 0, and no worker process is left', async () => {
    const pids = (await workers()).map((r) => r.pid);
    expect(pids.every(alive)).toBe(true);
    const code = await tunnel.stop();
    expect(code, tunnel.stderr().slice(-3000)).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('--workers 2 with --auth-command', () => {
  it('a refreshed credential reaches the connections the workers hold', async () => {
    const tunnel = await startTunnel(
      [
        ...seedArgs(description),
        '--workers',
        '2',
        ...authCommandArgs(description.password, 300),
        '--log-level',
        'debug',
      ],
      {},
    );
    try {
      // Two idle clients: round robin gives one to each worker.
      const clients = await openClients(7001, 2);
      await waitFor('both workers to re-authenticate their connection', 10_000, async () =>
        ['worker 1', 'worker 2'].every((w) =>
          new RegExp(
            `\\[${w}[^\\]]*\\] (shared connection to \\S+ )?re-authenticated with a fresh token`,
          ).test(tunnel.stderr()),
        ),
      );
      for (const c of clients) c.destroy();
      expect(tunnel.stderr()).not.toContain(description.password);
    } finally {
      expect(await tunnel.stop()).toBe(0);
    }
  });
});
