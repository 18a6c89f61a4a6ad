import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Tunnel } from '../tunnel/tunnel.js';

const PREFIX = 'redis_cluster_tunnel_';

/**
 * The tunnel's Prometheus metrics, on a registry of its own (never prom-client's global one, so
 * two tunnels in one process stay apart). Every value is read from the tunnel when scraped: the
 * data path only adds to plain numbers.
 */
export function tunnelMetrics(tunnel: Tunnel): Registry {
  const registry = new Registry();
  const stats = tunnel.stats;
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  /** A counter whose value is kept elsewhere: set to it at each scrape. */
  const counter = (name: string, help: string, labels: string[], read: (c: Counter) => void): void => {
    new Counter({
      name: PREFIX + name,
      help,
      labelNames: labels,
      registers: [registry],
      collect() {
        this.reset();
        read(this);
      },
    });
  };
  const gauge = (name: string, help: string, labels: string[], read: (g: Gauge) => void): void => {
    new Gauge({
      name: PREFIX + name,
      help,
      labelNames: labels,
      registers: [registry],
      collect() {
        this.reset();
        read(this);
      },
    });
  };

  gauge('ready', '1 once every listener is up', [], (g) => g.set(tunnel.ready ? 1 : 0));
  gauge('nodes', 'cluster nodes served, by role', ['role'], (g) => {
    const entries = tunnel.table.entries().filter((e) => !e.adhoc);
    for (const role of ['master', 'replica'])
      g.set({ role }, entries.filter((e) => e.node.role === role).length);
  });
  gauge('client_connections', 'client connections open now, by mode', ['mode'], (g) => {
    const open = tunnel.connections;
    g.set({ mode: 'pinned' }, open.pinned);
    g.set({ mode: 'smart' }, open.smart);
  });
  counter('client_connections_total', 'client connections accepted, by mode', ['mode'], (c) => {
    c.inc({ mode: 'pinned' }, stats.accepted.pinned);
    c.inc({ mode: 'smart' }, stats.accepted.smart);
  });
  counter('bytes_total', 'bytes relayed, by direction', ['direction'], (c) => {
    c.inc({ direction: 'to_cluster' }, stats.bytesToCluster);
    c.inc({ direction: 'to_clients' }, stats.bytesToClients);
  });
  counter(
    'pool_takes_total',
    'new pinned clients: a warm upstream taken (hit) or none ready (miss)',
    ['result'],
    (c) => {
      c.inc({ result: 'hit' }, stats.pool.hits);
      c.inc({ result: 'miss' }, stats.pool.misses);
    },
  );
  counter(
    'own_connections_total',
    'pinned clients that took a connection of their own instead of the shared one',
    [],
    (c) => c.inc(stats.ownConnections),
  );
  counter('rewrites_total', 'replies whose node addresses were rewritten', [], (c) => c.inc(stats.rewrites));
  counter('errors_total', 'problems, by kind', ['kind'], (c) => {
    for (const [kind, n] of stats.errors) c.inc({ kind }, n);
  });
  counter('topology_refreshes_total', 'topology refreshes, by result', ['result'], (c) => {
    c.inc({ result: 'ok' }, stats.refreshes.ok);
    c.inc({ result: 'failed' }, stats.refreshes.failed);
  });
  gauge('last_refresh_timestamp_seconds', 'when the last topology refresh ended', [], (g) =>
    g.set((stats.lastRefresh?.at ?? 0) / 1000),
  );
  gauge('last_refresh_ok', '1 when the last topology refresh read a topology', [], (g) =>
    g.set(stats.lastRefresh?.ok ? 1 : 0),
  );
  return registry;
}
