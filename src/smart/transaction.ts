import { encodeCommand } from '../resp/encode.js';
import { isErrorType } from '../resp/types.js';
import type { NodeEntry, NodeTable } from '../topology/node-table.js';
import { type CommandInfo, type CommandTable, keyIndexes } from '../protocol/command-table.js';
import { hashSlot } from '../topology/hash-slot.js';
import type { HeldRequests } from './held-requests.js';
import type { Lanes } from './lanes.js';

const EXECABORT = Buffer.from('-EXECABORT Transaction discarded because of previous errors.\r\n');
const ACROSS_NODES = Buffer.from(
  "-ERR redis-cluster-tunnel: a transaction runs on one node, and this command's keys are on another; the transaction will be refused\r\n",
);
const OK = Buffer.from('+OK\r\n');
const MULTI = encodeCommand(['MULTI']);
const DISCARD = encodeCommand(['DISCARD']);
const UNWATCH = encodeCommand(['UNWATCH']);

type Done = (reply: Buffer) => void;
const ignore = (): void => {};

/** A reply, or the tunnel's error for a connection that gave none. */
const replyOr = (done: Done) => (frame: Buffer | null, failure?: string) =>
  done(frame ?? Buffer.from(`-ERR redis-cluster-tunnel: ${failure ?? 'no reply'}\r\n`));

/** One MULTI, from the client's MULTI to its EXEC or DISCARD. */
interface Open {
  /** The node its MULTI went (or goes) to. */
  node: NodeEntry | undefined;
  /** Settled by a key or by WATCH: a command for another node is refused, not moved. */
  fixed: boolean;
  /** MULTI and what followed it in the same client read, not sent until the node is known. */
  waiting: Array<{ bytes: Buffer; done: Done }>;
  /** What went, after MULTI, to a node not settled yet: sent again if the transaction moves. */
  keyless: Buffer[];
  /** The node's answer to MULTI: null until it comes. */
  multi: 'ok' | 'refused' | null;
  /** Called once that answer comes (a move waits for it). */
  onMulti: (() => void) | null;
  /** The tunnel refused a command (ACROSS_NODES): EXEC discards and says EXECABORT. */
  aborted: boolean;
}

/**
 * MULTI … EXEC and WATCH for one smart-mode client. The node keeps the transaction, as it would
 * on a connection of the client's own: MULTI and every queued command go to it on the client's
 * own connection, and the client gets the node's answers (QUEUED, NOPERM, CROSSSLOT, MOVED, the
 * errors of EXEC). The tunnel picks the node: the one whose keys the first keyed command names
 * (or the one WATCH went to). MULTI waits for that until the end of the client's read; a MULTI
 * the client waits on goes to the home node, and moves (DISCARD there, MULTI and what went before
 * sent again) if the first key is elsewhere. A transaction whose keys are on two nodes is refused
 * whole. No redirect inside a transaction is followed: the node's answers are what the client gets.
 */
export class Transaction {
  private tx: Open | null = null;
  private watched: NodeEntry | undefined;

  constructor(
    private readonly table: NodeTable,
    private readonly commands: CommandTable,
    private readonly lanes: Lanes,
    private readonly held: HeldRequests,
  ) {}

  get open(): boolean {
    return this.tx !== null;
  }

  /**
   * Handles MULTI, EXEC, DISCARD, WATCH, UNWATCH, and every command while a transaction is open.
   * Returns false for a request it does not take.
   */
  handle(name: string, args: Buffer[], bytes: Buffer, done: Done): boolean {
    const tx = this.tx;
    if (tx) return this.inside(tx, name, args, bytes, done);
    switch (name) {
      case 'multi': {
        const node = this.watched;
        this.tx = {
          node,
          fixed: node !== undefined,
          waiting: [],
          keyless: [],
          multi: null,
          onMulti: null,
          aborted: false,
        };
        this.tx.waiting.push({ bytes, done });
        if (node) this.endOfRead();
        return true;
      }
      case 'watch':
        return (this.watch(args, bytes, done), true);
      case 'unwatch':
        return (this.unwatch(done), true);
      case 'exec':
      case 'discard':
        // Without MULTI: the node's answer (its error, or NOPERM for a user without the command).
        this.lanes.send(this.watched ?? this.home(), 'own', bytes, replyOr(done));
        return true;
    }
    return false;
  }

  /** The client's read ended: a MULTI still waiting for its node goes to the home node. */
  endOfRead(): void {
    const tx = this.tx;
    if (tx && tx.waiting.length > 0) this.sendWaiting(tx, tx.node ?? (tx.node = this.home()));
  }

  private inside(tx: Open, name: string, args: Buffer[], bytes: Buffer, done: Done): boolean {
    if (name === 'exec' || name === 'discard') {
      this.endOfRead();
      this.tx = null;
      this.watched = undefined;
      const node = tx.node as NodeEntry;
      if (name === 'exec' && tx.aborted) {
        this.lanes.send(node, 'own', DISCARD, ignore);
        return (done(EXECABORT), true);
      }
      this.lanes.send(node, 'own', bytes, replyOr(done));
      return true;
    }
    const node = this.nodeOf(name, args);
    if (!node || node === tx.node) return (this.queue(tx, bytes, done, node !== undefined), true);
    if (tx.fixed) {
      tx.aborted = true;
      return (done(ACROSS_NODES), true);
    }
    if (tx.waiting.length > 0 || tx.node === undefined) {
      tx.node = node;
      return (this.queue(tx, bytes, done, true), true);
    }
    // The transaction opened on the home node while its first key was not known: it moves, once
    // the node has said whether MULTI was taken (a refused MULTI means no transaction to move).
    if (tx.multi !== null) return (this.move(tx, node, bytes, done), true);
    this.held.holdLater();
    tx.onMulti = () => {
      this.move(tx, node, bytes, done);
      this.held.release();
    };
    return true;
  }

  /** Queues a command on the transaction's node (`keyed`: it names that node's keys). */
  private queue(tx: Open, bytes: Buffer, done: Done, keyed: boolean): void {
    if (keyed) tx.fixed = true;
    if (tx.waiting.length > 0 || tx.node === undefined) {
      tx.waiting.push({ bytes, done });
      if (keyed) this.endOfRead();
      return;
    }
    if (!tx.fixed) tx.keyless.push(bytes);
    this.lanes.send(tx.node, 'own', bytes, replyOr(done));
  }

  /** Sends MULTI and what waited behind it to `node`; the answers are the client's. */
  private sendWaiting(tx: Open, node: NodeEntry): void {
    const [multi, ...rest] = tx.waiting;
    tx.waiting = [];
    this.lanes.send(node, 'own', multi.bytes, (frame, failure) => {
      tx.multi = frame && !isErrorType(frame[0]) ? 'ok' : 'refused';
      // A node that refused MULTI (NOPERM) runs what follows as it comes: so does the tunnel.
      if (tx.multi === 'refused' && this.tx === tx) this.tx = null;
      replyOr(multi.done)(frame, failure);
      tx.onMulti?.();
    });
    for (const w of rest) {
      if (!tx.fixed) tx.keyless.push(w.bytes);
      this.lanes.send(node, 'own', w.bytes, replyOr(w.done));
    }
  }

  /** Moves the transaction to `node`, whose keys `bytes` names, and sends that command there. */
  private move(tx: Open, node: NodeEntry, bytes: Buffer, done: Done): void {
    if (tx.multi === 'ok') {
      this.lanes.send(tx.node as NodeEntry, 'own', DISCARD, ignore);
      this.lanes.send(node, 'own', MULTI, ignore);
      for (const k of tx.keyless) this.lanes.send(node, 'own', k, ignore);
    }
    tx.keyless = [];
    tx.node = node;
    tx.fixed = true;
    this.lanes.send(node, 'own', bytes, replyOr(done));
  }

  /** The node whose keys a command names (undefined: none, or one the node will refuse anyway). */
  private nodeOf(name: string, args: Buffer[]): NodeEntry | undefined {
    if (name === 'watch' || this.commands.refusal(args, name)) return undefined;
    const keys = keyIndexes(this.commands.lookup(args, name) as CommandInfo, args);
    return keys.length ? this.table.ownerOf(hashSlot(args[keys[0]])) : undefined;
  }

  private home(): NodeEntry {
    return this.table.masters()[0];
  }

  private watch(args: Buffer[], bytes: Buffer, done: Done): void {
    const refusal = this.commands.refusal(args, 'watch');
    if (refusal) return done(refusal);
    // Every argument of WATCH is a key; they must all live on one node, the one watched already.
    const owners = new Set(args.slice(1).map((k) => this.table.ownerOf(hashSlot(k))));
    const [node] = owners;
    if (!node || owners.size !== 1 || (this.watched && this.watched !== node)) return done(ACROSS_NODES);
    this.watched = node;
    this.lanes.send(node, 'own', bytes, replyOr(done));
  }

  private unwatch(done: Done): void {
    const node = this.watched;
    this.watched = undefined;
    // Nothing watched: the tunnel answers, as a node would, rather than open a connection for it.
    if (!node) return done(OK);
    this.lanes.send(node, 'own', UNWATCH, replyOr(done));
  }
}
