import { decode, isNull, text } from '../resp/decode.js';
import type { SubFamily } from './commands.js';
import type { PendingQueue } from './pending.js';

/** Pub/sub traffic that never answers a request. */
export const MESSAGE_KINDS: ReadonlySet<string> = new Set(['message', 'pmessage', 'smessage']);

/**
 * The channels, patterns and shard channels a connection is subscribed to, as the server's
 * confirmations tell them: the connection is in pub/sub state while any is left.
 */
export class Subscriptions {
  private readonly channels = new Set<string>();
  private readonly patterns = new Set<string>();
  private readonly shardChannels = new Set<string>();

  get active(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }

  get shardActive(): boolean {
    return this.shardChannels.size > 0;
  }

  /** Applies one confirmation; returns how many of that family's subscriptions are left. */
  confirm(kind: SubFamily, channel: string | null): number {
    const set = this.setFor(kind);
    if (channel !== null) {
      if (kind.includes('unsub')) set.delete(channel);
      else set.add(channel);
    }
    return set.size;
  }

  /**
   * A confirmation on a connection whose requests wait in `queue`: applied, and the request it
   * answers taken off once it has all its confirmations. Returns why it cannot be paired, or null.
   */
  pair(kind: SubFamily, channel: string | null, queue: PendingQueue): string | null {
    const left = this.confirm(kind, channel);
    const head = queue.peek();
    // The server drops shard channels on its own when their slot moves away.
    if (!head || head.cmd.family !== kind)
      return kind === 'sunsubscribe' ? null : `unexpected ${kind} confirmation`;
    if (head.remaining > 0) {
      if (--head.remaining === 0) queue.shift();
    } else if (left === 0) {
      queue.shift();
    }
    return null;
  }

  /** RESET drops every subscription without confirmations. */
  clear(): void {
    this.channels.clear();
    this.patterns.clear();
    this.shardChannels.clear();
  }

  private setFor(kind: SubFamily): Set<string> {
    if (kind === 'subscribe' || kind === 'unsubscribe') return this.channels;
    if (kind === 'psubscribe' || kind === 'punsubscribe') return this.patterns;
    return this.shardChannels;
  }
}

/** First element (as lower-case text) and second element (channel) of a pub/sub frame. */
export function readPubSubHead(
  buf: Buffer,
  start: number,
  end: number,
): { kind: string | null; channel: string | null } {
  const frame = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  const root = decode(frame);
  const el = root.children;
  if (!el || el.length < 2 || el[0].children || isNull(el[0])) return { kind: null, channel: null };
  const kindText = text(frame, el[0]);
  if (kindText.length > 16) return { kind: null, channel: null };
  const channel = el[1].children || isNull(el[1]) ? null : text(frame, el[1]);
  return { kind: kindText.toLowerCase(), channel };
}
