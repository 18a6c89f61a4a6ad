import { encodeCommand, errorReply } from '../resp/encode.js';
import { isErrorType } from '../resp/types.js';
import type { NodeChange, NodeEntry, NodeTable } from '../topology/node-table.js';
import type { Lanes } from './lanes.js';

/** An `invalidate` push with a null key list: a RESP3 client drops everything it cached. */
export const FLUSH_EVERYTHING = Buffer.from('>2\r\n$10\r\ninvalidate\r\n_\r\n');

/** Clears a CLIENT CACHING flag left on a connection whose next command went elsewhere. */
const PING = encodeCommand(['PING']);

const NO_REDIRECT = errorReply(
  'ERR redis-cluster-tunnel smart mode does not serve CLIENT TRACKING with REDIRECT: the id names one ' +
    "node's connection, and this port is every node; use RESP3 (HELLO 3), or pinned mode",
);

/** What tracking needs from its smart client. */
export interface TrackingHost {
  table: NodeTable;
  lanes: Lanes;
  /** Runs `run` once every earlier request is answered, holding later ones until `release`. */
  whenAnswered(run: () => void): void;
  release(): void;
  /** A frame for the client after every reply pending now. */
  emit(frame: Buffer): void;
  protocol(): number;
  /** The nodes this client has its own connections to now. */
  ownNodes(): NodeEntry[];
}

/**
 * CLIENT TRACKING in smart mode. A node tracks the keys one connection read, and tells that
 * connection when they change. So while a client tracks, every request it sends takes its own
 * connections (none shared), each of which turns tracking on with the client's own requests before
 * anything else; each node's invalidation pushes reach the client after the replies pending then.
 * Every master gets the client's own connection at once, so BCAST prefixes are watched everywhere.
 * CLIENT CACHING goes, after its check by the home node, in front of the next command on every
 * node that command goes to. When a connection that tracked is lost, or its node's role, slots or
 * address change, the client gets a flush-everything invalidation: it can no longer trust what it
 * cached from that node.
 */
export class Tracking {
  /** The client's CLIENT TRACKING ON requests since tracking was last off, in order. */
  private setup: Buffer[] = [];
  /** The CLIENT CACHING request a node accepted, for the next command. */
  private caching: Buffer | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly host: TrackingHost) {}

  get on(): boolean {
    return this.setup.length > 0;
  }

  /** CLIENT TRACKING or CLIENT CACHING (`sub`, lower case); false for any other request. */
  handle(sub: string, args: Buffer[], bytes: Buffer, done: (r: Buffer) => void): boolean {
    if (sub === 'tracking' && args.length >= 3) {
      if (args.some((a) => a.toString('latin1').toLowerCase() === 'redirect')) done(NO_REDIRECT);
      else this.track(args[2].toString('latin1').toLowerCase() === 'on', bytes, done);
      return true;
    }
    if (sub === 'caching' && args.length >= 3) {
      this.cache(bytes, done);
      return true;
    }
    return false;
  }

  /** A new own connection: tracking goes on there first, as the client asked. */
  opened(send: (request: Buffer) => void): void {
    for (const request of this.setup) send(request);
  }

  /** One of the client's own connections closed or broke. */
  lost(): void {
    if (this.on) this.flush();
  }

  /** Before a command is sent: the CLIENT CACHING that goes in front of it on each of its nodes. */
  beforeCommand(): void {
    this.host.lanes.prefix = this.caching;
    this.caching = null;
  }

  afterCommand(): void {
    this.host.lanes.prefix = null;
  }

  /** RESET, or the client closed: tracking is off, and no flush is due (the connections go too). */
  reset(): void {
    this.setup = [];
    this.caching = null;
    this.host.lanes.ownOnly = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** ON or OFF at every master, once every earlier request is answered; the client gets one reply. */
  private track(on: boolean, request: Buffer, done: (r: Buffer) => void): void {
    const { host } = this;
    host.whenAnswered(() => {
      const masters = host.table.masters();
      const replies: Buffer[] = [];
      if (masters.length === 0) {
        done(errorReply('CLUSTERDOWN redis-cluster-tunnel: no master to track keys at'));
        return host.release();
      }
      for (const m of masters)
        host.lanes.send(m, 'own', request, (frame, failure) => {
          replies.push(frame ?? errorReply(`ERR redis-cluster-tunnel: ${m.target.label}: ${failure}`));
          if (replies.length < masters.length) return;
          const refused = replies.find((r) => isErrorType(r[0]));
          if (!refused) this.switched(on, request);
          done(refused ?? replies[0]);
          host.release();
        });
    });
  }

  private switched(on: boolean, request: Buffer): void {
    if (!on) return this.reset();
    this.setup.push(Buffer.from(request));
    this.host.lanes.ownOnly = true;
    this.unsubscribe ??= this.host.table.subscribe((change) => this.changed(change));
  }

  /** CLIENT CACHING: the home node checks it (its own connection tracks with the same options). */
  private cache(request: Buffer, done: (r: Buffer) => void): void {
    const home = this.host.table.masters()[0];
    if (!home) return done(errorReply('CLUSTERDOWN redis-cluster-tunnel: no master'));
    // Kept at once, for a command pipelined behind it: where the home node refuses it, so does
    // the next command's node (same options), and nothing changes there either.
    const copy = (this.caching = Buffer.from(request));
    this.host.lanes.send(home, 'own', copy, (frame, failure) =>
      done(frame ?? errorReply(`ERR redis-cluster-tunnel: ${failure}`)),
    );
    // The home node's flag must not outlive this request: the next command may go elsewhere.
    this.host.lanes.send(home, 'own', PING, () => {});
  }

  private changed(change: NodeChange): void {
    const { entry } = change;
    if (change.type === 'added' || change.type === 'adopted' || change.type === 'port-moved') {
      // A new master: the client's own connection there, tracking from the start.
      if (entry.node.role === 'master') this.host.lanes.send(entry, 'own', PING, () => {});
      return;
    }
    if (this.host.ownNodes().includes(entry)) this.flush();
    if (change.type === 'updated' && entry.node.role === 'master')
      this.host.lanes.send(entry, 'own', PING, () => {});
  }

  private flush(): void {
    if (this.host.protocol() === 3) this.host.emit(FLUSH_EVERYTHING);
  }
}
