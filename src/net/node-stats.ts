import { type HotKey, HotKeys, TOP_KEYS } from './hot-keys.js';
import { Fifo } from '../protocol/pending.js';

/**
 * Latency buckets: bucket i holds times up to 2^(i/4) µs (four per doubling, about 19 % apart),
 * up to 2^(LAST/4) µs (about 67 s); the last bucket takes anything longer.
 */
const BUCKETS_PER_DOUBLING = 4;
const LAST = 26 * BUCKETS_PER_DOUBLING;

function bucketOf(us: number): number {
  if (us <= 1) return 0;
  return Math.min(LAST, Math.ceil(Math.log2(us) * BUCKETS_PER_DOUBLING));
}

/** The upper bound of a bucket, in ms. */
function bucketMs(i: number): number {
  return 2 ** (i / BUCKETS_PER_DOUBLING) / 1000;
}

/** Request-to-reply times as a histogram: cheap to add to, quantiles to about 19 %. */
export class LatencyHistogram {
  readonly counts = new Float64Array(LAST + 1);
  total = 0;

  add(ms: number): void {
    this.addToBucket(bucketOf(ms * 1000));
  }

  addToBucket(i: number, n = 1): void {
    this.counts[i] += n;
    this.total += n;
  }

  /** How many times were at most `ms` (to the bucket: bucket bounds at or under it). */
  countUpTo(ms: number): number {
    let n = 0;
    for (let i = 0; i <= LAST && bucketMs(i) <= ms; i++) n += this.counts[i];
    return n;
  }

  /** The q-quantile (0..1) in ms, as its bucket's upper bound; null with nothing recorded. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i <= LAST; i++) {
      seen += this.counts[i];
      if (seen >= rank) return bucketMs(i);
    }
    return bucketMs(LAST);
  }

  /** Adds another histogram's counts. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i <= LAST; i++) this.counts[i] += other.counts[i];
    this.total += other.total;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}

/** What the tunnel saw of one node, since it started: requests, replies, bytes, latency. */
export class NodeStats {
  requests = 0;
  /** Error replies, redirects not included. */
  errors = 0;
  /** MOVED and ASK replies (followed in smart mode, rewritten in pinned mode). */
  redirects = 0;
  bytesToNode = 0;
  bytesFromNode = 0;
  /** Since the status page last took it (see LiveFigures). */
  readonly latency = new LatencyHistogram();
  /** Since the tunnel started (for /metrics). */
  readonly latencyTotal = new LatencyHistogram();
  /** Sum of every latency, ms (for /metrics). */
  latencySumMs = 0;
  /** The most requested keys (smart mode samples them; see HotKeys). */
  readonly hotKeys = new HotKeys();

  /**
   * Under --workers, each worker's latest hot keys for this node, by worker (see add): the
   * primary's list merges them.
   */
  private readonly workerHotKeys = new Map<number, HotKey[]>();

  /** A reply arrived `ms` after its request went out; `kind` from its first bytes. */
  replied(ms: number, kind: ReplyKind): void {
    const bucket = bucketOf(ms * 1000);
    this.latency.addToBucket(bucket);
    this.latencyTotal.addToBucket(bucket);
    this.latencySumMs += ms;
    this.count(kind);
  }

  /** A reply of `kind` arrived (its latency, when timed, goes to `replied`). */
  count(kind: ReplyKind): void {
    if (kind === 'error') this.errors++;
    else if (kind === 'redirect') this.redirects++;
  }

  /** The hottest keys: this process's, plus each worker's latest list, summed by key. */
  hotKeyList(): HotKey[] {
    const own = this.hotKeys.list();
    if (this.workerHotKeys.size === 0) return own;
    const sum = new Map<string, number>();
    for (const list of [own, ...this.workerHotKeys.values()])
      for (const { key, requests } of list) sum.set(key, (sum.get(key) ?? 0) + requests);
    return [...sum]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_KEYS)
      .map(([key, requests]) => ({ key, requests }));
  }

  /** What a worker counted since its last report, as plain data; its counts start again at zero. */
  take(): NodeDelta {
    const latency: Array<[number, number]> = [];
    this.latencyTotal.counts.forEach((n, i) => n > 0 && latency.push([i, n]));
    const delta: NodeDelta = {
      requests: this.requests,
      errors: this.errors,
      redirects: this.redirects,
      bytesToNode: this.bytesToNode,
      bytesFromNode: this.bytesFromNode,
      latencySumMs: this.latencySumMs,
      latency,
      hotKeys: this.hotKeys.list(),
    };
    this.requests = this.errors = this.redirects = this.bytesToNode = this.bytesFromNode = 0;
    this.latencySumMs = 0;
    this.latency.clear();
    this.latencyTotal.clear();
    return delta;
  }

  /** Adds what worker `worker` counted (the primary's view of every worker's traffic). */
  add(worker: number, d: NodeDelta): void {
    this.requests += d.requests;
    this.errors += d.errors;
    this.redirects += d.redirects;
    this.bytesToNode += d.bytesToNode;
    this.bytesFromNode += d.bytesFromNode;
    this.latencySumMs += d.latencySumMs;
    for (const [i, n] of d.latency) {
      this.latency.addToBucket(i, n);
      this.latencyTotal.addToBucket(i, n);
    }
    this.workerHotKeys.set(worker, d.hotKeys);
  }
}

/** One node's counts from a worker since its last report (see NodeStats.take). */
export interface NodeDelta {
  requests: number;
  errors: number;
  redirects: number;
  bytesToNode: number;
  bytesFromNode: number;
  latencySumMs: number;
  /** Latency buckets that counted anything: [bucket, count]. */
  latency: Array<[number, number]>;
  /** The worker's hottest keys for the node over its window (a list, not a delta). */
  hotKeys: HotKey[];
}

export type ReplyKind = 'ok' | 'error' | 'redirect';

const MOVED = Buffer.from('-MOVED ');
const ASK = Buffer.from('-ASK ');

/** What a reply is, from its first bytes (a redirect is told apart only when they are at hand). */
export function replyKind(bytes: Buffer, at = 0): ReplyKind {
  if (bytes[at] !== 0x2d && bytes[at] !== 0x21) return 'ok';
  if (bytes.indexOf(MOVED, at) === at || bytes.indexOf(ASK, at) === at) return 'redirect';
  return 'error';
}

/** Every node's stats, by node id. */
export class NodeStatsBook {
  private readonly byId = new Map<string, NodeStats>();

  of(id: string): NodeStats {
    let s = this.byId.get(id);
    if (!s) this.byId.set(id, (s = new NodeStats()));
    return s;
  }

  get(id: string): NodeStats | undefined {
    return this.byId.get(id);
  }

  /** Every node's counts since the last take (nodes that counted nothing left out). */
  take(): Array<[string, NodeDelta]> {
    const out: Array<[string, NodeDelta]> = [];
    for (const [id, s] of this.byId) {
      const d = s.take();
      if (d.requests > 0 || d.bytesToNode > 0 || d.bytesFromNode > 0 || d.hotKeys.length > 0)
        out.push([id, d]);
    }
    return out;
  }
}

/**
 * The times one connection's requests went out, in order, so each reply's latency is known when
 * it comes back: one entry per reply waiter (a run of pipelined requests counts once, when its last
 * reply comes).
 */
export class SendTimes {
  private readonly times = new Fifo<number>();
  /**
   * The clock as read for the requests queued since the last write, and for the replies of the
   * chunk being read (-1: not read yet). Requests that leave in one write went out together, and
   * replies read from one chunk came together: one reading serves each group, not one per waiter
   * (smart mode has a waiter for each node a client's pipeline touches).
   */
  private sendStamp = -1;
  private replyStamp = -1;

  constructor(readonly stats: NodeStats) {}

  /** `requests` requests were queued, answered together. */
  sent(requests: number): void {
    this.stats.requests += requests;
    if (this.sendStamp < 0) this.sendStamp = performance.now();
    this.times.push(this.sendStamp);
  }

  /** What was queued was written: the next request reads the clock again. */
  wrote(): void {
    this.sendStamp = -1;
  }

  /** A greeting sent ahead of every queued request (its reply comes first). */
  sentFirst(): void {
    this.times.unshift(performance.now());
  }

  /**
   * A chunk of replies begins (every reply is answered while one is read): the next reply reads
   * the clock again.
   */
  reading(): void {
    this.replyStamp = -1;
  }

  /** The oldest waiter's reply (or last reply) came. */
  answered(kind: ReplyKind): void {
    const at = this.times.shift();
    if (at === undefined) return;
    if (this.replyStamp < 0) this.replyStamp = performance.now();
    this.stats.replied(this.replyStamp - at, kind);
  }

  /** The connection failed: nothing it waited for will come. */
  clear(): void {
    this.times.drain();
  }
}
