import { encodeCommand } from '../resp/encode.js';
import { isErrorType } from '../resp/types.js';
import type { NodeEntry, NodeTable } from '../topology/node-table.js';
import { type CommandInfo, type CommandTable, keyIndexes } from '../protocol/command-table.js';
import { hashSlot } from '../topology/hash-slot.js';
import type { Lanes } from './lanes.js';

const QUEUED = Buffer.from('+QUEUED\r\n');
const OK = Buffer.from('+OK\r\n');
const EXECABORT = Buffer.from('-EXECABORT Transaction discarded because of previous errors.\r\n');
const ACROSS_NODES = Buffer.from(
  "-ERR redis-cluster-tunnel: a transaction runs on one node, and this command's keys are on another; the transaction will be refused\r\n",
);
const NESTED = Buffer.from('-ERR MULTI calls can not be nested\r\n');
const EXEC_ALONE = Buffer.from('-ERR EXEC without MULTI\r\n');
const DISCARD_ALONE = Buffer.from('-ERR DISCARD without MULTI\r\n');
const WATCH_INSIDE = Buffer.from('-ERR WATCH inside MULTI is not allowed\r\n');

/**
 * MULTI … EXEC and WATCH for one smart-mode client. Commands are queued here (answered +QUEUED,
 * or with the error a server gives at queue time) and sent as one MULTI … EXEC on the client's own
 * connection to the node their keys are on, so nothing runs until EXEC, and a transaction whose
 * keys are on different nodes is refused whole. WATCH goes at once to its keys' node on the same
 * connection, which the transaction must then use. No redirect inside a transaction is followed:
 * the node's EXEC reply (EXECABORT after a queue-time MOVED) is what the client gets.
 */
export class Transaction {
  private queued: Buffer[] | null = null;
  private node: NodeEntry | undefined;
  private watched: NodeEntry | undefined;
  private aborted = false;

  constructor(
    private readonly table: NodeTable,
    private readonly commands: CommandTable,
    private readonly lanes: Lanes,
  ) {}

  get open(): boolean {
    return this.queued !== null;
  }

  /**
   * Handles MULTI, EXEC, DISCARD, WATCH, UNWATCH, and every command while a transaction is open.
   * Returns false for a request it does not take.
   */
  handle(name: string, args: Buffer[], bytes: Buffer, done: (reply: Buffer) => void): boolean {
    switch (name) {
      case 'multi':
        if (this.queued) return (done(NESTED), true);
        this.queued = [];
        this.node = this.watched;
        return (done(OK), true);
      case 'exec':
        return (this.exec(done), true);
      case 'discard':
        if (!this.queued) return (done(DISCARD_ALONE), true);
        this.reset();
        this.unwatch(() => done(OK));
        return true;
      case 'watch':
        if (this.queued) return (done(WATCH_INSIDE), true);
        return (this.watch(args, bytes, done), true);
      case 'unwatch':
        if (this.queued) break;
        this.unwatch(done);
        return true;
    }
    if (!this.queued) return false;
    const reply = this.queue(name, args, bytes);
    if (isErrorType(reply[0])) this.aborted = true;
    done(reply);
    return true;
  }

  /** Checks a command at queue time the way a server would, and files it. */
  private queue(name: string, args: Buffer[], bytes: Buffer): Buffer {
    const refusal = this.commands.refusal(args, name);
    if (refusal) return refusal;
    const node = this.nodeOf(args, this.commands.lookup(args, name) as CommandInfo);
    if (node) {
      if (this.node && node !== this.node) return ACROSS_NODES;
      this.node = node;
    }
    (this.queued as Buffer[]).push(bytes);
    return QUEUED;
  }

  private nodeOf(args: Buffer[], info: Parameters<typeof keyIndexes>[0]): NodeEntry | undefined {
    const keys = keyIndexes(info, args);
    return keys.length ? this.table.ownerOf(hashSlot(args[keys[0]])) : undefined;
  }

  private exec(done: (reply: Buffer) => void): void {
    const queued = this.queued;
    if (!queued) return done(EXEC_ALONE);
    const aborted = this.aborted;
    const node = this.node ?? this.table.masters()[0];
    this.reset();
    this.watched = undefined;
    if (aborted || !node) return done(EXECABORT);
    // MULTI, the queued commands and EXEC leave back to back; only EXEC's reply is the client's.
    this.lanes.send(node, 'own', encodeCommand(['MULTI']), () => {});
    for (const q of queued) this.lanes.send(node, 'own', q, () => {});
    this.lanes.send(node, 'own', encodeCommand(['EXEC']), (frame, failure) =>
      done(frame ?? Buffer.from(`-ERR redis-cluster-tunnel: ${failure ?? 'no reply'}\r\n`)),
    );
  }

  private watch(args: Buffer[], bytes: Buffer, done: (reply: Buffer) => void): void {
    // Every argument of WATCH is a key; they must all live on one node, the one watched already.
    const owners = new Set(args.slice(1).map((k) => this.table.ownerOf(hashSlot(k))));
    const [node] = owners;
    if (!node || owners.size !== 1 || (this.watched && this.watched !== node)) return done(ACROSS_NODES);
    this.watched = node;
    this.lanes.send(node, 'own', bytes, (frame, failure) =>
      done(frame ?? Buffer.from(`-ERR redis-cluster-tunnel: ${failure ?? 'no reply'}\r\n`)),
    );
  }

  private unwatch(done: (reply: Buffer) => void): void {
    const node = this.watched;
    this.watched = undefined;
    if (!node) return done(OK);
    this.lanes.send(node, 'own', encodeCommand(['UNWATCH']), (frame) => done(frame ?? OK));
  }

  private reset(): void {
    this.queued = null;
    this.node = undefined;
    this.aborted = false;
  }
}
