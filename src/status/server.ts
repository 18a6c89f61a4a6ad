import { readdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { describeError, type Logger } from '../log.js';
import type { Tunnel } from '../tunnel/tunnel.js';
import { tunnelMetrics } from './metrics.js';
import { nodeRows } from './nodes.js';
import { LiveFigures } from './live.js';
import { STATUS_PAGE } from './page.js';
import { OPEN_FILE_LIMIT } from '../net/listen.js';
import { version } from '../version.js';
import { moveRanges } from '../topology/slot-moves.js';
import type { SlotMove } from '../topology/types.js';
import type { NodeStats } from '../net/node-stats.js';

/** Why the tunnel is not healthy, or null when it is. */
export function unhealthy(tunnel: Tunnel): string | null {
  if (!tunnel.ready) return 'starting: not every listener is up yet';
  const last = tunnel.stats.lastRefresh;
  if (last && !last.ok)
    return `the topology cannot be refreshed (last try ${new Date(last.at).toISOString()}): ${last.error ?? 'no node answered'}`;
  return null;
}

/** Open file descriptors of this process (Linux); null elsewhere. */
function openFiles(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** A replica's measured lag in seconds (null: not in sync); nothing when not measured. */
function lagOf(lag: number | undefined): { lagSeconds?: number | null } {
  if (lag === undefined) return {};
  return { lagSeconds: Number.isFinite(lag) ? lag : null };
}

/** A master's slots in motion, as ranges with the other master's address (only when read). */
function movesOf(tunnel: Tunnel, id: string): Record<string, Array<{ slots: string; peer: string }>> {
  const node = tunnel.table.get(id)?.node;
  const named = (moves: SlotMove[]): Array<{ slots: string; peer: string }> =>
    moveRanges(moves).map((r) => ({ ...r, peer: tunnel.table.get(r.peer)?.target.label ?? r.peer }));
  return {
    ...(node?.migrating?.length ? { migrating: named(node.migrating) } : {}),
    ...(node?.importing?.length ? { importing: named(node.importing) } : {}),
  };
}

/** A node's counts since the tunnel started: requests and bytes each way. */
function totalsOf(n: NodeStats | undefined): Record<string, never> | { totals: Record<string, number> } {
  if (!n) return {};
  return { totals: { requests: n.requests, bytesToNode: n.bytesToNode, bytesFromNode: n.bytesFromNode } };
}

/** The status page's JSON: what the tunnel serves and has done. No option or secret is in it. */
export function statusOf(tunnel: Tunnel, startedAt: number, live?: LiveFigures): Record<string, unknown> {
  const s = tunnel.stats;
  const clients = tunnel.clientsPerNode();
  return {
    ready: tunnel.ready,
    healthy: unhealthy(tunnel) === null,
    problem: unhealthy(tunnel),
    mode: tunnel.options.mode,
    topology: tunnel.table.topology,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    tunnel: {
      version: version(),
      memoryBytes: process.memoryUsage().rss,
      openFiles: openFiles(),
      fileLimit: OPEN_FILE_LIMIT,
    },
    nodes: nodeRows(tunnel.table).map((n) => ({
      ...n,
      health: tunnel.table.get(n.id)?.node.health,
      ...lagOf(tunnel.table.get(n.id)?.node.lagSeconds),
      ...movesOf(tunnel, n.id),
      listed: tunnel.table.get(n.id)?.goneSince === undefined,
      // Pinned clients of its listener; smart clients with a connection of their own to it.
      clients: clients.get(n.id)?.pinned ?? 0,
      smartClients: clients.get(n.id)?.smart ?? 0,
      hotKeys: s.nodes.get(n.id)?.hotKeyList() ?? [],
      ...totalsOf(s.nodes.get(n.id)),
      ...(live?.of(n.id) ? { live: live.of(n.id) } : {}),
    })),
    listeners: tunnel.listening,
    clients: { open: tunnel.connections, accepted: s.accepted, ownConnections: s.ownConnections },
    ...(tunnel.workerRows ? { workers: tunnel.workerRows } : {}),
    bytes: { toCluster: s.bytesToCluster, toClients: s.bytesToClients },
    pool: { ...s.pool, idle: tunnel.poolIdle },
    rewrites: s.rewrites,
    errors: Object.fromEntries(s.errors),
    refreshes: s.refreshes,
    events: live?.events ?? [],
    lastRefresh: s.lastRefresh && {
      at: new Date(s.lastRefresh.at).toISOString(),
      ok: s.lastRefresh.ok,
      ...(s.lastRefresh.error ? { error: s.lastRefresh.error } : {}),
    },
  };
}

/**
 * `--status-port`: HTTP on the bind address. /healthz (200 once ready, 503 before it and while
 * the topology cannot be refreshed), /status (JSON), /metrics (Prometheus text, by prom-client).
 * It listens before the tunnel starts, so a probe sees 503 during startup rather than nothing.
 */
export class StatusServer {
  private server: http.Server | null = null;
  private readonly metrics: Registry;
  private readonly startedAt = Date.now();
  private readonly live: LiveFigures;

  constructor(
    private readonly tunnel: Tunnel,
    private readonly log: Logger,
  ) {
    this.metrics = tunnelMetrics(tunnel);
    this.live = new LiveFigures(tunnel.table, tunnel.stats, () => tunnel.ready);
    tunnel.onCredentialRefresh(() => this.live.record('credential refreshed (--auth-command)'));
  }

  /** Binds; rejects with the bind error. Resolves with the port (useful when 0 was asked for). */
  listen(bind: string, port: number): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, bind, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log.warn(`status port: ${describeError(e)}`));
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    try {
      if (path === '/') return send(200, 'text/html; charset=utf-8', STATUS_PAGE);
      if (path === '/healthz') {
        const problem = unhealthy(this.tunnel);
        return send(problem ? 503 : 200, 'text/plain', `${problem ?? 'ok'}\n`);
      }
      if (path === '/status')
        return send(
          200,
          'application/json',
          JSON.stringify(statusOf(this.tunnel, this.startedAt, this.live), null, 2) + '\n',
        );
      if (path === '/metrics') return send(200, this.metrics.contentType, await this.metrics.metrics());
      send(404, 'text/plain', 'not found: try /, /healthz, /status or /metrics\n');
    } catch (e) {
      this.log.warn(`status page ${path}: ${describeError(e)}`);
      send(500, 'text/plain', 'internal error\n');
    }
  }

  close(): Promise<void> {
    this.live.close();
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
