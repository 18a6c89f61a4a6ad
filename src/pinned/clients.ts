import type * as net from 'node:net';
import { PinnedClient } from './client.js';
import type { PinnedContext, PinnedClientOwner } from './context.js';
import type { NodeEntry } from '../topology/node-table.js';
import { Throttle } from '../net/throttle.js';
import { WaitMarkers } from '../protocol/wait-marker.js';
import type { Login } from '../protocol/login.js';
import { PRIMARY_ID } from '../topology/standalone.js';
import type { SharedUpstreams } from '../upstream/shared-pool.js';
import type { Upstream } from '../upstream/upstream.js';
import { PrimarySender, type SpanSender } from './primary-sender.js';
import { Session } from '../protocol/session.js';
import type { SessionSink } from '../protocol/sink.js';

/** How often "cannot open upstream" is logged at warn per node; repeats go to debug. */
const UNREACHABLE_WARNING_INTERVAL_MS = 10_000;

/** READONLY from a standalone primary re-reads the topology at most this often. */
const DEMOTED_REFRESH_INTERVAL_MS = 250;

/** The open pinned clients of one tunnel, with their ids and shared warning throttle. */
export class PinnedClients implements PinnedClientOwner {
  private readonly open = new Set<PinnedClient>();
  private nextId = 1;
  readonly unreachableWarnings = new Throttle(UNREACHABLE_WARNING_INTERVAL_MS);
  private readonly demotedRefreshes = new Throttle(DEMOTED_REFRESH_INTERVAL_MS);
  /** The writes that go in front of clients' WAITs, one per slot asked for. */
  readonly waitMarkers = new WaitMarkers();

  constructor(readonly context: PinnedContext) {}

  /** Takes a client connection of `entry`'s listener. */
  accept(client: net.Socket, entry: NodeEntry, self: { host: string; port: number }): void {
    if (!this.context.files.admit(client)) return;
    const pinned = new PinnedClient(client, this.nextId++, entry, self, this);
    this.context.stats.accepted.pinned++;
    this.open.add(pinned);
    void pinned.start();
  }

  /** Called by a client once both of its sockets are gone. */
  closed(pinned: object): void {
    if (this.open.delete(pinned as PinnedClient)) this.context.files.release();
  }

  /**
   * A standalone primary's clients go through a PrimarySender, which sends a write the demoted
   * primary refused again to the new one; every other node's, straight to its shared connection.
   */
  sender(
    shared: SharedUpstreams,
    entry: NodeEntry,
    protocol: 2 | 3,
    login: Login | null,
    writes: boolean,
  ): SpanSender {
    const upstream = (): Upstream => shared.get(entry, protocol, login, writes);
    if (entry.node.id !== PRIMARY_ID) return upstream();
    return new PrimarySender(upstream, (why) => this.primaryDemoted(entry, why));
  }

  /** See PinnedClientOwner.session. */
  session(
    entry: NodeEntry,
    self: { host: string; port: number },
    sink: SessionSink,
    unmarkedWrites: () => boolean,
  ): Session {
    const { addresses, rewriteRequest, maxFrameBytes, auth } = this.context;
    return new Session(sink, {
      addresses,
      self,
      rewriteRequest,
      loginAfterReset: auth,
      waitMarker: () => (unmarkedWrites() ? this.waitMarkers.forNode(entry.node) : null),
      limits: { maxFrameBytes },
      requestLimits: this.context.requestLimits(),
      parserOptions: this.context.reading().options,
    });
  }

  primaryDemoted(entry: NodeEntry, why = 'it answered READONLY'): void {
    if (this.demotedRefreshes.allow(entry.node.id))
      this.context.refresh(`the primary ${entry.target.label} may have moved: ${why}`);
  }

  /**
   * A standalone primary's entry now points at the new primary. Clients on connections of their
   * own still talk to the old one, now a replica: they are ended, so they reconnect to the port
   * that means "the primary". Shared requests follow by themselves (see sharedPoolFollows).
   */
  primaryMoved(entry: NodeEntry): void {
    for (const pinned of this.open) if (pinned.entry === entry && pinned.hasOwn) pinned.end();
  }

  /** A fresh credential: open connections re-authenticate with it. */
  reauthenticate(auth: Buffer): void {
    for (const pinned of this.open) pinned.reauth(auth);
  }

  get size(): number {
    return this.open.size;
  }

  /** Open clients per node id. */
  perNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.open) out.set(p.entry.node.id, (out.get(p.entry.node.id) ?? 0) + 1);
    return out;
  }

  /** Ends every client politely, then destroys what has not closed after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    for (const p of this.open) p.end();
    const deadline = Date.now() + graceMs;
    while (this.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const p of this.open) p.destroy();
  }
}
