import { decode, isNull, text } from '../resp/decode.js';
import type { SubFamily } from './commands.js';

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
