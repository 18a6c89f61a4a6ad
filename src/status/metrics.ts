import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
  counter(
    'node_requests_total',
    'requests sent to each node on the connections the tunnel measures',
    ['node'],
    (c) => {
      for (const e of tunnel.table.entries()) {
        const n = stats.nodes.get(e.node.id);
        if (n) c.inc({ node: e.target.label }, n.requests);
      }
    },
  );
  new NodeLatencyHistogram(tunnel, registry);
  return registry;
}

/** Histogram buckets of /metrics' node latency, in seconds. */
const LATENCY_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

type HistogramValues = Awaited<ReturnType<Histogram<'node'>['get']>>;
const LATENCY_NAME = `${PREFIX}node_latency_seconds`;
const LATENCY_HELP = 'time from a request sent to a node to its reply, as the tunnel measures it, per node';

/**
 * Request-to-reply latency per node: a prom-client Histogram whose values are read at each scrape
 * from the counts the node connections keep (see NodeStats), instead of an observe() per request:
 * the data path adds to a plain array and does no label look-up.
 */
export class NodeLatencyHistogram extends Histogram<'node'> {
  constructor(
    private readonly tunnel: Tunnel,
    registry: Registry,
  ) {
    super({
      name: LATENCY_NAME,
      help: LATENCY_HELP,
      labelNames: ['node'],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    });
  }

  override async get(): Promise<HistogramValues> {
    const { tunnel } = this;
    const name = LATENCY_NAME;
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const e of tunnel.table.entries()) {
      const s = tunnel.stats.nodes.get(e.node.id);
      if (!s) continue;
      const node = e.target.label;
      const bucket = (le: number | string, value: number): void => {
        values.push({ metricName: `${name}_bucket`, labels: { node, le }, value });
      };
      for (const le of LATENCY_BUCKETS_S) bucket(le, s.latencyTotal.countUpTo(le * 1000));
      bucket('+Inf', s.latencyTotal.total);
      values.push({ metricName: `${name}_sum`, labels: { node }, value: s.latencySumMs / 1000 });
      values.push({ metricName: `${name}_count`, labels: { node }, value: s.latencyTotal.total });
    }
    // prom-client declares `type` as a numeric enum; at run time (and in its own get()) it is this string.
    const metric = { name, help: LATENCY_HELP, type: 'histogram', values, aggregator: 'sum' };
    return metric as unknown as HistogramValues;
  }

  /** What the registry reads for the text format (prom-client prefers it to get()). */
  getForPromString(): Promise<HistogramValues> {
    return this.get();
  }
}
