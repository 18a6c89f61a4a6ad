import { describeError, type Logger } from '../log.js';
import { readPubSubHead } from '../protocol/subscriptions.js';
import { aggregateHeader, bulkString, encodeCommand, integerReply } from '../resp/encode.js';
import { T_ARRAY, T_PUSH, isErrorType } from '../resp/types.js';
import { hashSlot } from '../topology/hash-slot.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SmartContext } from './context.js';
import { Upstream } from '../upstream/upstream.js';
import { Upstreams } from '../upstream/upstreams.js';

const MESSAGES = new Set(['message', 'pmessage', 'smessage']);

/**
 * A renewal after a subscriber connection broke waits this long, doubling with each break in a
 * row: a killed node refuses at once until the cluster notices, and renewing on it in a tight
 * loop would flood the nodes with refreshes.
 */
const RENEW = { firstDelayMs: 50, maxDelayMs: 2000 } as const;

/**
 * One smart client's subscriptions. PUBLISH reaches every node over the cluster bus, so SUBSCRIBE
 * and PSUBSCRIBE go to one node (the home node), on a connection of their own; SSUBSCRIBE goes to
 * each channel's slot owner. Confirmations and messages go to the client as one server sends them:
 * shard counts are this client's, not one node's. When the home connection breaks (a failover), or
 * a node drops a shard channel because its slot moved, the subscriptions are renewed elsewhere and
 * the client sees no confirmation for it.
 */
export class PubSub {
  private readonly channels = new Set<string>();
  private readonly patterns = new Set<string>();
  private readonly shardChannels = new Set<string>();
  /** Channel and pattern requests sent to the home node, waiting for their confirmations. */
  private readonly homeRequests: HomeRequest[] = [];
  /** Shard requests, waiting for a confirmation per channel from whichever node owns it. */
  private readonly shardRequests: ShardRequest[] = [];
  private home: Upstream | null = null;
  /** Shard subscriber connections, per node; one that breaks is renewed after a refresh. */
  private readonly shard = new Upstreams((entry, forget) =>
    this.connection(entry, (u) => {
      forget(u);
      this.afterBreak('a shard subscriber connection closed', () => this.renewShard());
    }),
  );
  /** Confirmations still to drop, per connection: those of a renewal the client did not ask for. */
  private readonly silent = new Map<Upstream, number>();
  private closed = false;
  /** Subscriber connections broken in a row, with no frame from any since. */
  private breaks = 0;

  constructor(
    private readonly ctx: SmartContext,
    private readonly protocol: () => number,
    private readonly emit: (frame: Buffer) => void,
    private readonly log: Logger,
  ) {}

  /** True while the client is subscribed to anything (RESP2 then allows only pub/sub commands). */
  get active(): boolean {
    const joining = this.shardRequests.some((r) => r.name === 'ssubscribe');
    return joining || this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }

  /**
   * A subscribe-family request: `done` gets its confirmations, in the order one server sends
   * them, once they are all in. The subscription state changes at once, as on a server.
   */
  handle(name: string, args: Buffer[], bytes: Buffer, done: (reply: Buffer) => void): void {
    const names = args.slice(1).map((a) => a.toString('latin1'));
    if (name === 'ssubscribe' || name === 'sunsubscribe') return this.shardRequest(name, names, done);
    const set = name.startsWith('p') ? this.patterns : this.channels;
    const leaving = name.endsWith('unsubscribe');
    // UNSUBSCRIBE with no channel leaves them all: one confirmation each, or one with a null channel.
    const expected = names.length || (leaving ? Math.max(set.size, 1) : 1);
    if (leaving) for (const c of names.length ? names : [...set]) set.delete(c);
    else for (const c of names) set.add(c);
    const home = this.homeConnection();
    if (!home) return done(Buffer.from('-CLUSTERDOWN redis-cluster-tunnel: no master to subscribe on\r\n'));
    this.homeRequests.push({ remaining: expected, frames: [], done });
    home.write(bytes);
  }

  close(): void {
    this.closed = true;
    this.home?.close();
    this.shard.close();
  }

  private shardRequest(name: string, channels: string[], done: (reply: Buffer) => void): void {
    const leave = name === 'sunsubscribe';
    const list = leave && channels.length === 0 ? [...this.shardChannels] : channels;
    if (list.length === 0) return done(confirmation(name, null, this.shardChannels.size, this.protocol()));
    this.shardRequests.push({ name, channels: list, got: new Set(), done });
    this.sendShard(name, list);
  }

  /** Sends a shard command per owner of the channels' slots (each node answers for its own). */
  private sendShard(name: string, channels: string[], quiet = false): void {
    const byOwner = new Map<NodeEntry, string[]>();
    for (const c of channels) {
      const owner = this.ctx.table.ownerOf(hashSlot(c));
      if (!owner) {
        this.log.warn(`no master for shard channel ${c}; ${name} not sent`);
        continue;
      }
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), c]);
    }
    for (const [owner, list] of byOwner) {
      const u = this.shard.get(owner);
      if (quiet) this.silent.set(u, (this.silent.get(u) ?? 0) + list.length);
      u.write(encodeCommand([name.toUpperCase(), ...list]));
    }
  }

  private homeConnection(): Upstream | null {
    if (this.home && !this.home.broken) return this.home;
    const entry = this.ctx.table.masters()[0];
    if (!entry) return null;
    this.home = this.connection(entry, () => this.renewHome());
    return this.home;
  }

  private connection(entry: NodeEntry, onBreak: (u: Upstream) => void): Upstream {
    const upstream: Upstream = new Upstream(
      entry,
      this.ctx,
      // Subscribed in the protocol in force when the subscription was asked for.
      this.protocol(),
      (frame) => this.onFrame(upstream, frame),
      (u) => {
        if (!this.closed) onBreak(u);
      },
    );
    return upstream;
  }

  /** The home connection broke: subscribe again on the new home node, quietly. */
  private renewHome(): void {
    this.home = null;
    this.afterBreak('the subscriber connection closed', () => {
      if (this.channels.size + this.patterns.size === 0) return;
      const u = this.homeConnection();
      if (!u) return this.log.warn('no master to renew subscriptions on');
      this.silent.set(u, this.channels.size + this.patterns.size);
      if (this.channels.size) u.write(encodeCommand(['SUBSCRIBE', ...this.channels]));
      if (this.patterns.size) u.write(encodeCommand(['PSUBSCRIBE', ...this.patterns]));
      this.log.info(`subscriptions renewed on ${u.entry.target.label}`);
    });
  }

  /** After the backoff and a topology refresh, renew (unless the client has gone). */
  private afterBreak(reason: string, renew: () => void): void {
    const wait = Math.min(RENEW.firstDelayMs * 2 ** this.breaks++, RENEW.maxDelayMs);
    setTimeout(() => {
      if (!this.closed) void this.ctx.refresh(reason).then(() => this.closed || renew());
    }, wait).unref();
  }

  private renewShard(): void {
    if (this.closed || this.shardChannels.size === 0) return;
    this.sendShard('ssubscribe', [...this.shardChannels], true);
  }

  private onFrame(from: Upstream, frame: Buffer): void {
    this.breaks = 0;
    let head;
    try {
      head = readPubSubHead(frame, 0, frame.length);
    } catch (e) {
      this.log.warn(`unreadable pub/sub frame: ${describeError(e)}`);
      return;
    }
    const { kind, channel } = head;
    if (kind !== null && MESSAGES.has(kind)) return this.emit(frame);
    const quiet = this.silent.get(from) ?? 0;
    if (quiet > 0) return void this.silent.set(from, quiet - 1);
    if (kind === 'ssubscribe' || kind === 'sunsubscribe') return this.onShardConfirmation(kind, channel);
    // A confirmation (or an error) for the oldest channel or pattern request.
    const request = this.homeRequests[0];
    if (!request) return this.emit(frame);
    request.frames.push(frame);
    if (--request.remaining > 0 && !isErrorType(frame[0])) return;
    this.homeRequests.shift();
    request.done(Buffer.concat(request.frames));
  }

  private onShardConfirmation(kind: string, channel: string | null): void {
    const request = this.shardRequests.find(
      (r) => r.name === kind && channel !== null && r.channels.includes(channel) && !r.got.has(channel),
    );
    if (!request) {
      // The node dropped the channel on its own (its slot moved): subscribe where the slot is now.
      if (kind === 'sunsubscribe' && channel !== null && this.shardChannels.has(channel))
        void this.ctx
          .refresh('a shard channel moved')
          .then(() => this.sendShard('ssubscribe', [channel], true));
      return;
    }
    request.got.add(channel as string);
    // Confirmations go out in request order, each request's in channel order, counted for this client.
    while (
      this.shardRequests.length > 0 &&
      this.shardRequests[0].got.size === this.shardRequests[0].channels.length
    ) {
      const done = this.shardRequests.shift() as ShardRequest;
      const frames = done.channels.map((c) => {
        if (done.name === 'ssubscribe') this.shardChannels.add(c);
        else this.shardChannels.delete(c);
        return confirmation(done.name, c, this.shardChannels.size, this.protocol());
      });
      done.done(Buffer.concat(frames));
    }
  }
}

interface HomeRequest {
  remaining: number;
  frames: Buffer[];
  done: (reply: Buffer) => void;
}

interface ShardRequest {
  name: string;
  channels: string[];
  got: Set<string>;
  done: (reply: Buffer) => void;
}

/** A subscribe-family confirmation as one server sends it (RESP3: a push). */
function confirmation(kind: string, channel: string | null, count: number, protocol: number): Buffer {
  const type = protocol === 3 ? T_PUSH : T_ARRAY;
  const ch =
    channel === null ? (protocol === 3 ? Buffer.from('_\r\n') : Buffer.from('$-1\r\n')) : bulkString(channel);
  return Buffer.concat([aggregateHeader(type, 3), bulkString(kind), ch, integerReply(count)]);
}
