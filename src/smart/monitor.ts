import type { Logger } from '../log.js';
import { encodeCommand } from '../resp/encode.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SmartContext } from './context.js';
import { Upstream } from '../upstream/upstream.js';
import { Upstreams } from '../upstream/upstreams.js';

const MONITOR = encodeCommand(['MONITOR']);

/** How long after a master's feed broke (a failover) the masters are looked at again. */
const REJOIN_MS = 1000;

/**
 * MONITOR for one smart client: the whole cluster as one server, so every master's feed, each on
 * a connection of its own, interleaved line by line. A feed that breaks (its node failed) is
 * opened again on whichever masters then have none. Replicas are left out: what they run is what
 * their master ran.
 */
export class Monitor {
  private readonly feeds: Upstreams;
  private closed = false;
  private rejoin: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: SmartContext,
    /** Writes one feed line to the client, after every reply it is waiting for. */
    private readonly emit: (line: Buffer) => void,
    private readonly log: Logger,
  ) {
    this.feeds = new Upstreams((entry, forget) => {
      let confirmed = false;
      return new Upstream(
        entry,
        ctx,
        2,
        (frame) => {
          // Each node confirms with +OK first; the client got one +OK already.
          if (confirmed) this.emit(frame);
          confirmed = true;
        },
        (gone) => {
          forget(gone);
          this.scheduleRejoin();
        },
      );
    });
  }

  /** Opens a feed on every master without one. */
  start(): void {
    for (const m of this.ctx.table.masters()) this.open(m);
  }

  private open(entry: NodeEntry): void {
    if (this.closed || [...this.feeds.values()].some((u) => u.entry === entry)) return;
    this.feeds.get(entry).write(MONITOR);
  }

  private scheduleRejoin(): void {
    if (this.closed || this.rejoin) return;
    this.rejoin = setTimeout(() => {
      this.rejoin = null;
      this.log.debug('MONITOR: a feed closed; opening feeds on the current masters');
      this.start();
    }, REJOIN_MS);
  }

  close(): void {
    this.closed = true;
    if (this.rejoin) clearTimeout(this.rejoin);
    this.feeds.close();
  }
}
