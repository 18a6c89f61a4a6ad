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
      // Per node, the pinned clients of both workers add up: all ten are on 7001's listener.
      const status = (await (await fetch(`http://127.0.0.1:${STATUS}/status`)).json()) as {
        nodes: Array<{ node: string; clients: number }>;
      };
      const first = `${description.nodes[0].ip}:${description.nodes[0].port}`;
      expect(status.nodes.find((n) => n.node === first)?.clients).toBe(10);
      for (const row of await workers()) {
        expect(row.ready).toBe(true);
        expect(row.connections.pinned).toBe(5);
        expect(row.connections.smart).toBe(5);
      }
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it("per-node figures add up both workers' traffic: requests, bytes and hot keys", async () => {
    interface Totals {
      requests: number;
      bytesToNode: number;
      bytesFromNode: number;
    }
    type Row = { node: string; totals?: Totals; hotKeys: Array<{ key: string; requests: number }> };
    const node = `${description.nodes[0].ip}:${description.nodes[0].port}`;
    const row = async (): Promise<Row> => {
      const status = (await (await fetch(`http://127.0.0.1:${STATUS}/status`)).json()) as { nodes: Row[] };
      return status.nodes.find((n) => n.node === node) as Row;
    };
    const zero = { requests: 0, bytesToNode: 0, bytesFromNode: 0 };
    const before = (await row()).totals ?? zero;
    // 10 clients, spread over both workers, each send 40 ECHOs, then 40 GETs of one key, at most
    // 16 at a time: all on the shared connections, where keys are sampled.
    const clients = await openClients(7001, 10);
    const echo = '*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n';
    const get = '*2\r\n$3\r\nGET\r\n$11\r\nworkers:hot\r\n';
    /** Writes `count` requests and resolves with the replies, once `lines` CRLFs came back. */
    const roundTrip = (c: net.Socket, request: string, count: number, lines: number): Promise<string> =>
      new Promise((resolve) => {
        let got = '';
        const read = (d: Buffer): void => {
          got += d.toString('latin1');
          if ((got.match(/\r\n/g) ?? []).length < lines * count) return;
          c.off('data', read);
          resolve(got);
        };
        c.on('data', read);
        c.write(request.repeat(count));
      });
    const replies = await Promise.all(
      clients.map(async (c) => {
        let got = '';
        // An ECHO reply is two lines ($2, hi); a GET's (a MOVED or a value here) one.
        for (const count of [16, 16, 8]) got += await roundTrip(c, echo, count, 2);
        for (const count of [16, 16, 8]) got += await roundTrip(c, get, count, 1);
        return got;
      }),
    );
    for (const c of clients) c.destroy();
    // What the node sent: the replies as the clients got them, with the MOVED addresses the tunnel
    // rewrote (to 127.0.0.1 and the node's port, here) as the node wrote them.
    const announced = (port: string): string =>
      `${description.nodes.find((n) => String(n.port) === port)?.ip ?? '?'}:${port}`;
    const fromNode = replies
      .map((r) => r.replace(/127\.0\.0\.1:(\d+)/g, (_, port: string) => announced(port)))
      .reduce((n, r) => n + r.length, 0);
    await waitFor(
      'both workers to report',
      5000,
      async () => ((await row()).totals?.requests ?? 0) >= before.requests + 810,
    );
    const after = await row();
    // 800 plus the 10 PINGs openClients sends.
    expect(after.totals).toEqual({
      requests: before.requests + 810,
      // The inline PINGs reach the node as the multibulk they mean.
      bytesToNode:
        before.bytesToNode + 10 * ('*1\r\n$4\r\nPING\r\n'.length + 40 * (echo.length + get.length)),
      bytesFromNode: before.bytesFromNode + 10 * '+PONG\r\n'.length + fromNode,
    });
    // Sampled one in 8 per client: any 40 requests in a row hold 5 samples; 50 samples, 400 requests.
    expect(after.hotKeys[0]).toEqual({ key: 'workers:hot', requests: 400 });
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
