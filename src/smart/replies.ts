import type { ClientOutput } from '../client/connection.js';
import { endClient } from '../net/listen.js';

const OK = Buffer.from('+OK\r\n');
const SYNTAX_ERROR = Buffer.from('-ERR syntax error\r\n');

/** One request's place in the reply order. */
interface Slot {
  seq: number;
  /** Several for a batch of requests (see ReadBatch), which takes one place. */
  reply: Buffer | Buffer[] | null;
  /** Not written: CLIENT REPLY OFF or SKIP was in force when the request came. */
  silent: boolean;
  /** QUIT: the connection closes once this reply (and every one before it) is written. */
  last: boolean;
  /** A batch still taking replies (see takeBatch), and the bytes of those not written yet. */
  open?: boolean;
  size?: number;
}

/**
 * A batch at the head of the order writes what it has before its end once this much has come: a
 * large reply is not held for the rest of the batch, and small ones still leave in one write.
 */
export const BATCH_WRITE_BYTES = 64 * 1024;

/** A batch of requests' one place in the order: its replies are added in order as they come. */
export interface BatchPlace {
  add(reply: Buffer): void;
  /** The batch's last reply was added. */
  end(): void;
}

/** CLIENT REPLY as a server keeps it: every reply, none, or none for the next request. */
export type ReplyMode = 'on' | 'off' | 'skip';

/**
 * One smart client's replies, written in request order whichever node answers first. The tunnel
 * keeps CLIENT REPLY itself: the nodes answer every request (a shared connection must get every
 * reply to stay paired), and the replies the client turned off are dropped here.
 */
export class ReplyQueue {
  private readonly slots: Slot[] = [];
  private taken = 0;
  private written = 0;
  private mode: ReplyMode = 'on';
  private flushQueued = false;
  /** The ready replies have waited one turn for the rest (see flush). */
  private waitedOnce = false;
  private closed = false;
  /** The client half-closed: end once nothing is pending (see endAfterReplies). */
  private ending = false;
  private barriers: Array<{ seq: number; run: () => void }> = [];

  /** Where the replies go: the client's connection, which counts them and bounds what waits. */
  constructor(private readonly client: ClientOutput) {}

  /** Takes the next place in the order; the returned callback fills it. */
  take(last = false): (reply: Buffer) => void {
    const slot: Slot = { seq: ++this.taken, reply: null, silent: this.mode !== 'on', last };
    if (this.mode === 'skip') this.mode = 'on';
    this.slots.push(slot);
    return (reply) => {
      slot.reply = reply;
      this.ready(slot);
    };
  }

  /**
   * Takes one place for a batch of requests (see ReadBatch). Once it is at the head of the order,
   * its replies are written as they come: a large one is not held for the rest of the batch. Batches
   * are taken only while every reply is written (see speaking).
   */
  takeBatch(): BatchPlace {
    const slot: Slot = { seq: ++this.taken, reply: [], silent: false, last: false, open: true, size: 0 };
    this.slots.push(slot);
    return {
      add: (reply) => {
        if (this.closed) return;
        (slot.reply as Buffer[]).push(reply);
        slot.size = (slot.size as number) + reply.length;
        if (slot.size >= BATCH_WRITE_BYTES) this.schedule();
      },
      end: () => {
        slot.open = false;
        this.ready(slot);
      },
    };
  }

  /** A frame nobody asked for just now (a pub/sub message): written after every pending reply. */
  emit(frame: Buffer): void {
    this.slots.push({ seq: ++this.taken, reply: frame, silent: false, last: false });
    this.schedule();
  }

  /** Whether every reply is written (CLIENT REPLY ON): a batch of requests takes one place then. */
  get speaking(): boolean {
    return this.mode === 'on';
  }

  /**
   * CLIENT REPLY: ON is answered, OFF and SKIP are not; the mode applies from the next request.
   * Any other mode is a syntax error, as a server says.
   */
  clientReply(mode: string): void {
    if (mode !== 'on' && mode !== 'off' && mode !== 'skip') return this.take()(SYNTAX_ERROR);
    this.slots.push({ seq: ++this.taken, reply: OK, silent: mode !== 'on', last: false });
    this.mode = mode;
    this.schedule();
  }

  /** Runs `run` once every place taken before the latest one is answered (RESET waits so). */
  whenEarlierAnswered(run: () => void): void {
    const seq = this.taken - 1;
    if (this.written >= seq) return run();
    this.barriers.push({ seq, run });
  }

  /** RESET: every reply is sent again. */
  reset(): void {
    this.mode = 'on';
  }

  close(): void {
    this.closed = true;
  }

  /**
   * The client sent FIN: its socket ends once every reply it asked for is written (the socket is
   * half-open, so nothing else would end it). Nothing is written after that.
   */
  endAfterReplies(): void {
    this.ending = true;
    if (this.slots.length === 0) this.end();
  }

  private end(): void {
    this.closed = true;
    // A client that keeps its side open (after QUIT, or a request it could not read) is closed
    // once it has had time to read its last replies.
    endClient(this.client.socket);
  }

  /**
   * `slot` is answered. When it is the last place taken, no later reply could join the write: it
   * goes now, not a turn later (a client that waits for its replies before sending more, as most
   * do, gets them one turn sooner). Otherwise replies of this turn are gathered (see schedule).
   */
  private ready(slot: Slot): void {
    if (this.slots[this.slots.length - 1] === slot && this.slots[0].reply !== null && !this.slots[0].open)
      this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.flushQueued) return;
    // Replies that arrive in one turn of the event loop (one upstream chunk or several) go to
    // the client as one write.
    this.flushQueued = true;
    setImmediate(this.flush);
  }

  /** Writes the replies that are ready, in request order. */
  private readonly flush = (): void => {
    this.flushQueued = false;
    let n = 0;
    while (n < this.slots.length && this.slots[n].reply !== null && !this.slots[n].open) n++;
    // A batch still open right after the ready replies: what it has so far goes with them once it
    // is large (see BATCH_WRITE_BYTES).
    const head = this.slots[n];
    const batch = head?.open && (head.size as number) >= BATCH_WRITE_BYTES ? head : null;
    if ((n === 0 && !batch) || this.closed) return;
    if (n < this.slots.length && !this.waitedOnce) {
      // Replies to the rest of a pipeline are often a turn away (another node's): one more turn
      // makes them one write with these, not two.
      this.waitedOnce = true;
      return this.schedule();
    }
    this.waitedOnce = false;
    const done = this.slots.splice(0, n);
    if (n > 0) this.written = done[n - 1].seq;
    const ready: Buffer[] = [];
    for (const s of done) {
      if (s.silent) continue;
      if (Array.isArray(s.reply)) for (const r of s.reply) ready.push(r);
      else ready.push(s.reply as Buffer);
    }
    if (batch) {
      for (const r of batch.reply as Buffer[]) ready.push(r);
      batch.reply = [];
      batch.size = 0;
    }
    const out = ready.length === 1 ? ready[0] : Buffer.concat(ready);
    const ok = out.length === 0 || this.client.write(out);
    if (done[n - 1]?.last || (this.ending && this.slots.length === 0)) return this.end();
    if (!ok) {
      this.client.socket.pause(); // resumed on drain
    }
    if (this.barriers.length > 0) {
      const due = this.barriers.filter((b) => b.seq <= this.written);
      this.barriers = this.barriers.filter((b) => b.seq > this.written);
      for (const b of due) b.run();
    }
  };
}
