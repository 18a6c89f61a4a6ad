import type { NodeChange, NodeTable } from '../topology/node-table.js';
import { formatSlots } from '../topology/parse.js';
import type { ErrorKind, TunnelStats } from '../net/stats.js';
import { LatencyHistogram } from '../net/node-stats.js';

/** How often the live figures are worked out (rates are per second over this). */
export const SAMPLE_MS = 1000;

/** Latency quantiles cover the last this many samples (5 s), so a quiet second does not blank them. */
const LATENCY_WINDOW = 5;

/** Events kept for the page. */
const EVENTS_KEPT = 100;

/** The limits whose refusals are events, and how the event says it. */
const LIMITS: Array<[ErrorKind, string]> = [
  ['file-limit', 'client connection(s) refused at the open-file limit'],
  ['output-limit', 'client(s) closed over --client-output-limit'],
];

/** One node's live figures, as /status and the page show them. */
export interface NodeLive {
  opsPerSec: number;
  /** ms, over the last few seconds; null when nothing was answered. */
  p50: number | null;
  p99: number | null;
  errors: number;
  redirects: number;
  bytesToNodePerSec: number;
  bytesFromNodePerSec: number;
}

export interface TunnelEvent {
  at: string;
  text: string;
}

interface Sample {
  requests: number;
  bytesTo: number;
  bytesFrom: number;
  window: LatencyHistogram[];
}

/**
 * What the status page shows live: per node, rates over the last second and latency quantiles over
 * the last few, from the counts the connections keep (NodeStats); and the recent events, from the
 * node table's changes once the tunnel is up.
 */
export class LiveFigures {
  private readonly samples = new Map<string, Sample>();
  private readonly figures = new Map<string, NodeLive>();
  readonly events: TunnelEvent[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  /** The limit counts at the last sample (see limitEvents). */
  private readonly limits = new Map<ErrorKind, number>();
  /** What each node was at the last change: role and slots, to say what changed. */
  private readonly known = new Map<string, { role: string; slots: string; address: string }>();

  constructor(
    private readonly table: NodeTable,
    private readonly stats: TunnelStats,
    private readonly ready: () => boolean,
  ) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
    this.unsubscribe = table.subscribe((c) => this.changed(c));
  }

  of(id: string): NodeLive | undefined {
    return this.figures.get(id);
  }

  /** Adds an event to the list shown (newest first). */
  record(text: string): void {
    this.events.unshift({ at: new Date().toISOString(), text });
    this.events.length = Math.min(this.events.length, EVENTS_KEPT);
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
  }

  private sample(): void {
    this.limitEvents();
    for (const e of this.table.entries()) {
      const id = e.node.id;
      const s = this.stats.nodes.get(id);
      if (!s) continue;
      const last = this.samples.get(id) ?? { requests: 0, bytesTo: 0, bytesFrom: 0, window: [] };
      const second = new LatencyHistogram();
      second.merge(s.latency);
      s.latency.clear();
      const window = [second, ...last.window].slice(0, LATENCY_WINDOW);
      const merged = new LatencyHistogram();
      for (const h of window) merged.merge(h);
      const perSec = (n: number): number => Math.round((n * 1000) / SAMPLE_MS);
      this.figures.set(id, {
        opsPerSec: perSec(s.requests - last.requests),
        p50: merged.quantile(0.5),
        p99: merged.quantile(0.99),
        errors: s.errors,
        redirects: s.redirects,
        bytesToNodePerSec: perSec(s.bytesToNode - last.bytesTo),
        bytesFromNodePerSec: perSec(s.bytesFromNode - last.bytesFrom),
      });
      this.samples.set(id, {
        requests: s.requests,
        bytesTo: s.bytesToNode,
        bytesFrom: s.bytesFromNode,
        window,
      });
    }
  }

  /** Clients refused at a limit since the last sample, as one event per kind. */
  private limitEvents(): void {
    for (const [kind, what] of LIMITS) {
      const n = this.stats.errors.get(kind) ?? 0;
      const before = this.limits.get(kind) ?? 0;
      this.limits.set(kind, n);
      if (n > before && this.ready()) this.record(`${n - before} ${what}`);
    }
  }

  private changed(c: NodeChange): void {
    const n = c.entry.node;
    const now = { role: n.role, slots: formatSlots(n.slots), address: c.entry.target.label };
    const before = this.known.get(n.id);
    this.known.set(n.id, now);
    if (!this.ready()) return;
    const name = `${c.entry.target.label} (${n.id.slice(0, 8)})`;
    if (c.type === 'added') this.record(`node joined: ${name}, ${n.role}`);
    else if (c.type === 'retired') this.record(`node left: ${name}`);
    else if (c.type === 'port-moved') this.record(`${name} moved to local port ${c.entry.local.port}`);
    else if (c.type === 'updated' && before) {
      if (before.role !== now.role) this.record(`failover: ${name} is now ${now.role} (was ${before.role})`);
      if (before.slots !== now.slots)
        this.record(`slots changed on ${name}: ${before.slots || 'none'} -> ${now.slots || 'none'}`);
      if (before.address !== now.address) this.record(`${name} moved from ${before.address}`);
    }
  }
}
