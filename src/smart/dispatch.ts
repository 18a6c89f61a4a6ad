import { errorReply } from '../resp/encode.js';
import { T_ERROR } from '../resp/types.js';
import { parseRedirect } from '../rewrite/redirect.js';
import type { NodeEntry } from '../topology/node-table.js';
import { PRIMARY_ID } from '../topology/standalone.js';
import type { ReadFrom, SmartContext } from './context.js';
import type { Lane, Lanes } from './lanes.js';

/**
 * How long a request keeps trying while the cluster changes under it (TRYAGAIN during a slot
 * migration, CLUSTERDOWN or an unreachable master during a failover): attempts, and the backoff
 * between them, doubling from 50 ms to 1 s. About 6 s in all, beyond a default node timeout.
 */
export const RETRY = { attempts: 10, firstDelayMs: 50, maxDelayMs: 1000 } as const;

/** One try of one request: where it went and how far it has got, for a redirect or a retry. */
interface Attempt {
  entry: NodeEntry;
  request: Buffer;
  done: (reply: Buffer) => void;
  lane: Lane;
  slot: number | undefined;
  attempt: number;
  redirects: number;
}

/** At most this many MOVED/ASK hops for one request (a slot moving twice while we follow it). */
const MAX_REDIRECTS = 5;

const ASKING = Buffer.from('*1\r\n$6\r\nASKING\r\n');

function delayFor(attempt: number): number {
  return Math.min(RETRY.firstDelayMs * 2 ** attempt, RETRY.maxDelayMs);
}

/** An error frame's first word. */
function errorWord(frame: Buffer): string {
  const space = frame.indexOf(0x20);
  return frame.toString('latin1', 1, space > 0 && space < 16 ? space : Math.min(frame.length - 2, 16));
}

/**
 * Sends one request to the node that should answer it and hands back the reply, following what a
 * cluster client would: MOVED (refresh the slot map, go where it says), ASK (ASKING there, once),
 * TRYAGAIN and CLUSTERDOWN (wait and retry), an unreachable node (refresh, retry). The client
 * never sees a redirect.
 */
export class Dispatcher {
  /** Where this client's reads go: the tunnel's --read-from, until READONLY or READWRITE. */
  readFrom: ReadFrom;

  constructor(
    private readonly ctx: SmartContext,
    private readonly lanes: Lanes,
  ) {
    this.readFrom = ctx.readFrom;
  }

  /** To the master of `slot` (the home node when undefined). */
  send(
    slot: number | undefined,
    request: Buffer,
    done: (reply: Buffer) => void,
    lane: Lane = 'shared',
    attempt = 0,
  ): void {
    const entry = slot === undefined ? this.home() : this.target(slot, lane);
    if (!entry) {
      if (attempt < RETRY.attempts) {
        void this.ctx.refresh(`slot ${slot} has no known master`);
        return void setTimeout(() => this.send(slot, request, done, lane, attempt + 1), delayFor(attempt));
      }
      return done(errorReply(`CLUSTERDOWN Hash slot ${slot} not served`));
    }
    this.sendTo(entry, request, done, lane, slot, attempt);
  }

  /** Where a request for `slot` goes now (for a read, a usable replica: see readerFor), if anywhere. */
  target(slot: number, lane: Lane): NodeEntry | undefined {
    const entry = this.ctx.table.ownerOf(slot);
    return entry && lane === 'read' ? this.readerFor(entry) : entry;
  }

  /**
   * A reply to a request sent with others in a batch (see ReadBatch) that was an error, or never
   * came: handled as `sendTo` handles one, from the first attempt.
   */
  recover(
    frame: Buffer | null,
    failure: string | undefined,
    entry: NodeEntry,
    request: Buffer,
    lane: Lane,
    slot: number,
    done: (reply: Buffer) => void,
  ): void {
    this.unusual(frame, failure, { entry, request, done, lane, slot, attempt: 0, redirects: 0 });
  }

  /**
   * READONLY or READWRITE, Redis's own per-connection switch: this client's reads go to replicas
   * (as --read-from says, or `replica` when it says primary), or to primaries. RESET (null) goes
   * back to the tunnel's default.
   */
  readWith(command: 'readonly' | 'readwrite' | null): void {
    const asked = command === 'readonly' ? 'replica' : 'primary';
    this.readFrom =
      command === null || (command === 'readonly' && this.ctx.readFrom !== 'primary')
        ? this.ctx.readFrom
        : asked;
  }

  /**
   * Where a read of `master`'s slots goes: a usable replica (online, listed, measured within the
   * lag bound), taken in turn, else the master. Not while the client's requests all take its own
   * connections, and with prefer-replica not while its writes to the master are in flight.
   */
  private readerFor(master: NodeEntry): NodeEntry {
    if (this.readFrom === 'primary' || this.lanes.ownOnly || this.lanes.selected) return master;
    if (this.readFrom === 'prefer-replica' && this.lanes.writing(master)) return master;
    const replicas = this.ctx.table.replicasOf(master.node.id);
    const turn = this.ctx.replicaTurn;
    for (let i = 0; i < replicas.length; i++) {
      const r = replicas[(turn.next + i) % replicas.length];
      const { health, lagSeconds } = r.node;
      if (health !== 'online' || r.goneSince !== undefined || r.adhoc) continue;
      if (lagSeconds === undefined || lagSeconds > this.ctx.maxReplicaLagSeconds) continue;
      turn.next += i + 1;
      return r;
    }
    return master;
  }

  /** To this node, following redirects from it. */
  sendTo(
    entry: NodeEntry,
    request: Buffer,
    done: (reply: Buffer) => void,
    lane: Lane = 'shared',
    slot?: number,
    attempt = 0,
    redirects = 0,
  ): void {
    this.lanes.send(entry, lane, request, (frame, failure) => {
      // The hot path: a reply that is not an error goes straight back (nothing is allocated).
      if (frame && frame[0] !== T_ERROR) return done(frame);
      this.unusual(frame, failure, { entry, request, done, lane, slot, attempt, redirects });
    });
  }

  /**
   * WAIT or WAITAOF at `entry`, behind the wait marker when it is needed (see Lanes.sendWait). Not
   * retried: on another connection it would count that connection's writes, not the client's.
   */
  sendWait(entry: NodeEntry, marker: Buffer | null, request: Buffer, done: (reply: Buffer) => void): void {
    this.lanes.sendWait(entry, marker, request, (frame, failure) =>
      done(frame ?? errorReply(`ERR redis-cluster-tunnel: ${failure ?? 'no reply'}`)),
    );
  }

  /** An error reply, or no reply at all: follow a redirect, wait and retry, or pass it on. */
  private unusual(frame: Buffer | null, failure: string | undefined, a: Attempt): void {
    const word = frame ? errorWord(frame) : '';
    // A replica that cannot serve the read (gone, loading, cut off from its master): the master can.
    if (a.entry.node.role === 'replica' && (!frame || word === 'LOADING' || word === 'MASTERDOWN')) {
      const master = this.ctx.table.get(a.entry.node.masterId ?? '');
      if (master) return this.sendTo(master, a.request, a.done, 'shared', a.slot, a.attempt + 1, a.redirects);
    }
    if (!frame) return this.retry(failure ?? 'no reply', a);
    if (word === 'MOVED' || word === 'ASK') {
      const r = parseRedirect(frame.toString('latin1', 1, frame.length - 2));
      const target = r && this.ctx.table.find({ host: r.host, port: r.port, slot: r.slot });
      if (!r || a.redirects >= MAX_REDIRECTS) return a.done(frame);
      if (word === 'MOVED') void this.ctx.refresh('MOVED');
      if (!target) return this.retry(`${word} to ${r.host}:${r.port}, a node not known yet`, a);
      // ASKING and the request go out back to back on one connection.
      if (word === 'ASK') this.lanes.send(target, a.lane, ASKING, () => {});
      return this.sendTo(target, a.request, a.done, a.lane, r.slot, a.attempt, a.redirects + 1);
    }
    if (word === 'TRYAGAIN' || word === 'CLUSTERDOWN')
      return this.retry(frame.toString('latin1', 1, frame.length - 2), a);
    // A standalone primary that became a replica refused the write without running it: once the
    // table follows the new primary, the same request goes there. Not inside a transaction (own
    // lane), whose queue lives on that one connection.
    if (word === 'READONLY' && a.lane !== 'own' && this.followsPrimary(a.entry)) {
      if (a.attempt >= RETRY.attempts) return a.done(frame);
      return this.retry(`${a.entry.target.label} is no longer the primary`, a);
    }
    a.done(frame);
  }

  /** After a moment, again: the slot's owner may have changed meanwhile. */
  private retry(why: string, a: Attempt): void {
    if (a.attempt >= RETRY.attempts) return a.done(errorReply(`CLUSTERDOWN redis-cluster-tunnel: ${why}`));
    void this.ctx.refresh(why);
    setTimeout(() => {
      // A keyless request to a node that is no longer a master goes to the new home.
      if (a.slot !== undefined || a.entry.node.role !== 'master')
        this.send(a.slot, a.request, a.done, a.lane, a.attempt + 1);
      else this.sendTo(a.entry, a.request, a.done, a.lane, a.slot, a.attempt + 1, a.redirects);
    }, delayFor(a.attempt));
  }

  /** The entry is a standalone primary, whose address follows promotions. */
  private followsPrimary(entry: NodeEntry): boolean {
    return this.ctx.table.topology === 'standalone' && entry.node.id === PRIMARY_ID;
  }

  /** The node keyless commands go to: the first master, so one connection's state stays together. */
  private home(): NodeEntry | undefined {
    return this.ctx.table.masters()[0];
  }
}
