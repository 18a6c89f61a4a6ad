import { T_ARRAY, T_ATTRIBUTE, T_ERROR, T_PUSH, T_SIMPLE, equalsAscii, isErrorType } from '../resp/types.js';
import type { TopologyReply } from '../rewrite/index.js';
import {
  type Command,
  type SubFamily,
  classify,
  isLogin,
  isSubFamily,
  notQueued,
  unsafeInTransaction,
} from './commands.js';
import { type Pending, PendingQueue, entryFor, nextTransaction, sharedEntry } from './pending.js';
import { Mode, type ReplyAction } from './reply-action.js';
import { MESSAGE_KINDS, Subscriptions, readPubSubHead } from './subscriptions.js';

/**
 * Knows, for every reply frame, which request it answers: the request side records what each
 * command will produce, the reply side consumes those records frame by frame. The server behaviour
 * it follows is listed in PROTOCOL.md §7. When it cannot be sure (SUBSCRIBE inside MULTI, a reply
 * nobody asked for...), it fails safe: it stops pairing for the rest of the connection, so topology
 * replies are no longer rewritten there, and reports why once. MOVED/ASK need no pairing and are
 * still rewritten by the caller.
 */

const MINUS = 0x2d;

const INTERNAL: Command = Object.freeze({ kind: 'internal' });

const PLAIN_ENTRY = sharedEntry(Object.freeze({ kind: 'plain' }) as Command);

export class ReplyTracker {
  mode: Mode = Mode.Track;
  /** Protocol of the reply stream: 2 until a HELLO 3 succeeds, back to 2 on RESET. */
  protocol = 2;
  /**
   * The client logged in on this connection itself (AUTH or HELLO … AUTH accepted), so it runs as
   * its own user and the tunnel's credential must not log it back in; false again after RESET.
   * Set at the request when its reply cannot be followed (inside MULTI, with replies off).
   */
  clientLogin = false;

  private readonly queue = new PendingQueue();
  /** Request side: the open transaction's commands, from MULTI until EXEC/DISCARD/RESET. */
  private tx: Pending[] | null = null;
  private replyOff = false;
  private skipNext = false;
  private readonly subscriptions = new Subscriptions();
  private readonly onUncertain: (reason: string) => void;

  constructor(onUncertain: (reason: string) => void = () => {}) {
    this.onUncertain = onUncertain;
  }

  /** Number of requests still waiting for (part of) their reply. */
  get pending(): number {
    return this.queue.length;
  }

  /** True while the connection is in RESP2/RESP3 pub/sub state (at least one subscription). */
  get subscribed(): boolean {
    return this.subscriptions.active;
  }

  // ---- request side ------------------------------------------------------------------------

  /** Records one complete request. `argc` 0 is a request the server answers with nothing. */
  onRequest(argc: number, name: string | null, arg1: string | null = null, arg2: string | null = null): void {
    if (this.mode !== Mode.Track || argc === 0) return;
    const cmd = classify(argc, name, arg1, arg2);
    if (isLogin(cmd) && (this.tx || this.replyOff || this.skipNext)) this.clientLogin = true;
    if (cmd.kind === 'client-reply') return this.onClientReply(cmd);
    if (this.replyOff || this.skipNext) {
      this.skipNext = false;
      if (cmd.kind === 'reset') return this.onReset(cmd);
      // Replies are suppressed, but pushes and subscribe confirmations are not: too subtle to follow.
      if (cmd.kind !== 'plain' && cmd.kind !== 'topology' && !notQueued(cmd)) {
        return this.failSafe(`${cmd.kind} while CLIENT REPLY is off`);
      }
      this.tx = nextTransaction(this.tx, cmd, null);
      return;
    }
    if (cmd.kind === 'reset') return this.onReset(cmd);
    const entry = cmd.kind === 'plain' && !this.tx ? PLAIN_ENTRY : entryFor(cmd);
    this.tx = nextTransaction(this.tx, cmd, entry);
    this.queue.push(entry);
  }

  /**
   * Whether the tunnel may slip a request of its own in now: only on an idle connection (no reply
   * outstanding) outside MULTI, with replies on, pairing on, and not in RESP2 pub/sub mode, where
   * the server refuses most commands. Then its reply is certain to be the next one.
   */
  canInject(): boolean {
    return this.pending === 0 && this.canInsert();
  }

  /**
   * Whether a request of the tunnel's own may go in between the client's requests, its reply
   * taken out of the stream in order: replies on and paired, outside MULTI, and not in RESP2
   * pub/sub mode, where the server refuses most commands.
   */
  canInsert(): boolean {
    return (
      this.mode === Mode.Track &&
      !this.tx &&
      !this.replyOff &&
      !this.skipNext &&
      !(this.protocol === 2 && this.subscribed)
    );
  }

  /** Records a request the tunnel sent itself (see canInject). */
  onInternalRequest(): void {
    this.queue.push(entryFor(INTERNAL));
  }

  private onClientReply(cmd: Command): void {
    const inTx = this.tx !== null;
    const silent = this.replyOff || this.skipNext;
    this.skipNext = false;
    if (inTx) {
      // Queued: it would change reply suppression in the middle of EXEC.
      const entry = entryFor(cmd, true);
      (this.tx as Pending[]).push(entry);
      if (!silent) this.queue.push(entry);
      return;
    }
    switch (cmd.replyMode) {
      case 'on':
        // ON clears OFF/SKIP first, then answers +OK.
        this.replyOff = false;
        this.queue.push(entryFor(cmd));
        return;
      case 'off':
        this.replyOff = true;
        return;
      case 'skip':
        if (!this.replyOff) this.skipNext = true;
        return;
      default:
        if (!silent) this.queue.push(entryFor(cmd));
    }
  }

  private onReset(cmd: Command): void {
    // RESET leaves MULTI and CLIENT REPLY OFF on the request side at once; it always answers +RESET.
    this.tx = null;
    this.replyOff = false;
    this.skipNext = false;
    this.queue.push(entryFor(cmd));
  }

  // ---- reply side --------------------------------------------------------------------------

  /**
   * Called when a top-level frame starts, with its type byte. Returns true when the caller must hold
   * the whole frame and pass it to `onFrame` (it may be rewritten or decides tracking state).
   * May switch the mode (to Raw before a SYNC payload; to Passthrough before an unsafe EXEC reply).
   */
  startFrame(type: number): boolean {
    if (this.mode !== Mode.Track) return type === T_ERROR;
    const head = this.queue.peek();
    if (head?.cmd.kind === 'sync' && type !== T_ERROR) {
      // +FULLRESYNC / +CONTINUE, then an RDB payload without CRLF and a command stream.
      this.mode = Mode.Raw;
      return false;
    }
    if (type === T_ERROR || type === T_SIMPLE || type === T_PUSH) return true;
    if (type === T_ATTRIBUTE) return false;
    // RESP2 pub/sub: messages arrive whether or not a request is waiting.
    if (this.protocol === 2 && type === T_ARRAY && this.subscribed) return true;
    if (!head) return false;
    const kind = head.cmd.kind;
    if (kind === 'topology' || kind === 'internal') return true;
    if (kind === 'exec' && head.tx) {
      if (head.tx.some((e) => e.queued && unsafeInTransaction(e.cmd))) {
        this.failSafe('a queued command in MULTI changes the reply stream');
        return false;
      }
      if (head.tx.some((e) => e.queued && e.cmd.kind === 'topology')) return true;
    }
    return this.protocol === 2 && type === T_ARRAY && kind === 'subscribe';
  }

  /**
   * Called when a top-level frame ends. `buf[start, end)` is the frame when the caller held it
   * (`startFrame` returned true), otherwise `buf` is null.
   */
  onFrame(type: number, buf: Buffer | null, start: number, end: number, nestedPush: boolean): ReplyAction {
    if (this.mode !== Mode.Track) return null;
    if (type === T_ATTRIBUTE) return null; // an attribute prefixes the reply that follows
    if (nestedPush) {
      this.failSafe('a push frame inside a reply');
      return null;
    }
    if (type === T_PUSH) {
      if (buf) this.onPush(buf, start, end);
      return null;
    }
    if (buf && type === T_ARRAY && this.protocol === 2) {
      const pubsub = this.onPubSubArray(buf, start, end);
      if (pubsub) return null;
    }
    return this.consume(type, buf, start, end);
  }

  private consume(type: number, buf: Buffer | null, start: number, end: number): ReplyAction {
    const head = this.queue.shift();
    if (!head) {
      this.failSafe('a reply with no request waiting for it');
      return null;
    }
    const isError = isErrorType(type);
    const kind = head.cmd.kind;
    if (kind === 'subscribe') {
      // A subscribe-family command answers with confirmations, or with one error (arity, CROSSSLOT, MOVED...).
      if (!isError) this.failSafe(`unexpected reply to ${head.cmd.family}`);
      return null;
    }
    if (head.inTx && buf && type === T_SIMPLE && equalsAscii(buf, start, end, '+QUEUED\r\n')) {
      head.queued = true;
      return null;
    }
    switch (kind) {
      case 'exec':
        return this.execAction(head, type, buf, start);
      case 'hello':
        if (!isError && head.cmd.version) this.protocol = head.cmd.version;
        if (!isError && head.cmd.login) this.clientLogin = true;
        return null;
      case 'login':
        if (!isError) this.clientLogin = true;
        return null;
      case 'reset':
        if (type === T_SIMPLE) this.resetReplyState();
        return null;
      case 'monitor':
        if (buf && equalsAscii(buf, start, end, '+OK\r\n')) this.mode = Mode.Passthrough;
        return null;
      case 'topology':
        return isError ? null : { topology: head.cmd.topology as TopologyReply };
      case 'internal':
        return { internal: !isError };
      default:
        return null;
    }
  }

  private execAction(head: Pending, type: number, buf: Buffer | null, start: number): ReplyAction {
    // `*-1`: WATCH failed, nothing ran.
    if (!buf || type !== T_ARRAY || !head.tx || buf[start + 1] === MINUS) return null;
    const queued = head.tx.filter((e) => e.queued);
    return {
      exec: queued.map((e) => (e.cmd.kind === 'topology' ? (e.cmd.topology as TopologyReply) : null)),
    };
  }

  /** RESET's reply: back to RESP2, no subscriptions (dropped without unsubscribe frames). */
  private resetReplyState(): void {
    this.protocol = 2;
    this.clientLogin = false;
    this.subscriptions.clear();
  }

  private onPush(buf: Buffer, start: number, end: number): void {
    const { kind, channel } = readPubSubHead(buf, start, end);
    if (kind !== null && isSubFamily(kind)) this.onConfirmation(kind, channel);
    // Other pushes (message, invalidate, tracking-redir-broken...) never answer a request.
  }

  /** RESP2: an array that is pub/sub traffic rather than a reply. Returns true when it was. */
  private onPubSubArray(buf: Buffer, start: number, end: number): boolean {
    const head = this.queue.peek();
    const { kind, channel } = readPubSubHead(buf, start, end);
    if (kind === null) return false;
    if (this.subscribed && MESSAGE_KINDS.has(kind)) return true;
    if (!isSubFamily(kind)) return false;
    if (head?.cmd.kind === 'subscribe' || (kind === 'sunsubscribe' && this.subscriptions.shardActive)) {
      this.onConfirmation(kind, channel);
      return true;
    }
    return false;
  }

  private onConfirmation(kind: SubFamily, channel: string | null): void {
    const unexpected = this.subscriptions.pair(kind, channel, this.queue);
    if (unexpected) this.failSafe(unexpected);
  }

  /** Stops pairing for the rest of the connection and reports why, once. */
  failSafe(reason: string): void {
    if (this.mode !== Mode.Track) return;
    this.mode = Mode.Passthrough;
    this.queue.drain();
    this.onUncertain(reason);
  }
}
