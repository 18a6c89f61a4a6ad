import { type Command, notQueued } from './commands.js';

/** One request still waiting for (part of) its reply. */
export interface Pending {
  cmd: Command;
  /** Sent between MULTI and EXEC/DISCARD, so answered by +QUEUED or a queue-time error. */
  inTx: boolean;
  /** Its queue-time reply was +QUEUED, so EXEC's array holds its real reply. */
  queued: boolean;
  /** Subscribe family: confirmations still expected; -1 means "until that family has none left". */
  remaining: number;
  /** EXEC: the commands sent since MULTI. */
  tx: Pending[] | null;
}

/** A request whose own fields never change (plain commands outside MULTI): shared, not allocated. */
export function sharedEntry(cmd: Command): Pending {
  return Object.freeze({ cmd, inTx: false, queued: false, remaining: 0, tx: null }) as Pending;
}

/** A fresh entry; a subscribe-family command expects one confirmation per channel named. */
export function entryFor(cmd: Command, inTx = false): Pending {
  const remaining = cmd.kind === 'subscribe' ? cmd.channels || -1 : 0;
  return { cmd, inTx, queued: false, remaining, tx: null };
}

/**
 * The open transaction after `cmd` (null outside MULTI). A command queued inside MULTI is marked
 * and listed, so EXEC's reply can be mapped onto what was queued.
 */
export function nextTransaction(tx: Pending[] | null, cmd: Command, entry: Pending | null): Pending[] | null {
  switch (cmd.kind) {
    case 'multi':
      return tx ?? []; // a nested MULTI is refused and the open transaction goes on
    case 'exec':
      if (entry) entry.tx = tx ?? [];
      return null;
    case 'discard':
      return null;
    default:
      if (tx && !notQueued(cmd) && entry) {
        entry.inTx = true;
        tx.push(entry);
      }
      return tx;
  }
}

/**
 * A FIFO consumed from a moving head, so a deep pipeline costs no shifting; the array is
 * compacted when the head has passed most of it. A taken item's cell is cleared at once: a busy
 * shared connection's queue seldom empties, and what it held (a batch, its requests and replies)
 * would otherwise live until the next compaction, long enough to be promoted to the old heap.
 */
export class Fifo<T> {
  private readonly items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Puts an item ahead of every waiting one. */
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const e = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return e;
  }

  /** Empties the queue; returns what was waiting, in order. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items.length = 0;
    this.head = 0;
    return rest;
  }
}

/** The requests of one connection still waiting for their replies. */
export class PendingQueue extends Fifo<Pending> {}
