import type { Login } from '../protocol/login.js';
import type { NodeEntry } from '../topology/node-table.js';
import { type SharedUpstreams, isWritesKind, sharedKind } from '../upstream/shared-pool.js';
import type { FrameRun, ReplyHandler } from '../upstream/reply-waiters.js';
import type { CopiedRequests } from '../upstream/turn-writes.js';
import type { Upstream } from '../upstream/upstream.js';
import { helloFor } from '../upstream/upstream-link.js';

export type { SharedUpstreams };

/**
 * Which connection a request takes to its node. `shared`: the tunnel's pipelined connection to the
 * node, shared by every client of one protocol (RESP2 or RESP3) and login: many clients' requests
 * go out in one TLS record. `shared-write`: the same, the one for writes (see CommandPolicy), so a
 * write a node holds holds no one's reads. `own`: this client's own connection, for what holds a
 * connection or changes its state (blocking commands, CLIENT, SELECT, HELLO). `read`: a read-only
 * command, which the dispatcher may send to a replica (see --read-from); on its way it is `shared`,
 * on a replica's connection with READONLY.
 */
export type Lane = 'shared' | 'shared-write' | 'own' | 'read';

const OWN = 0;

interface NodeGate {
  /** The lane of the requests in flight to this node: OWN, or a shared one's sharedKind. */
  key: number;
  inflight: number;
  /** Requests waiting for the other lane's requests to this node to be answered. */
  waiting: Array<() => void>;
  /** The client sent this node a write since the last wait marker (see sendWait). */
  unmarked: boolean;
  /** The own connection that carried the last wait marker (null: none yet). */
  markedOn: Upstream | null;
}

/** The connection a request takes, settled when it is issued (see Lanes.place). */
type IssuedLane = 'own' | 'shared' | 'shared-write';

/**
 * A run of requests for one node (see NodeRun). Lanes keeps its gate in it when it is sent, and is
 * told (see settled) once the connection has answered the whole run.
 */
export interface LaneRun extends FrameRun {
  gate: unknown;
}

/**
 * One client's way to its nodes. A client's requests to one node stay in order even when they
 * take different connections: a request changes lanes only once every request in flight on the
 * other lane has been answered, as one connection to one server would order them.
 */
export class Lanes {
  private readonly gates = new Map<NodeEntry, NodeGate>();
  /** While set, every request takes the client's own connections (see Tracking). */
  ownOnly = false;
  /**
   * The client selected a database other than 0 (a standalone server; a cluster refuses SELECT):
   * shared connections are in database 0, so every request takes its own connection.
   */
  selected = false;
  /** Sent just before each request of the command being sent, on its connection (CLIENT CACHING). */
  prefix: Buffer | null = null;
  /** The client left: replies still due to it are skipped as they come (see ReplyHandler). */
  closed = false;
  private readonly gone = (): boolean => this.closed;

  constructor(
    private readonly shared: SharedUpstreams,
    /** The client's own connection to a node; a new one starts in `protocol`. */
    private readonly own: (entry: NodeEntry, protocol: number) => Upstream,
    private readonly protocol: () => number,
    /** The client's own login (null: the tunnel's), whose shared connections it takes. */
    private readonly login: () => Login | null,
  ) {}

  /** Whether this client has writes in flight to `entry` (a read after them stays there). */
  writing(entry: NodeEntry): boolean {
    const gate = this.gates.get(entry);
    return gate !== undefined && gate.inflight > 0 && isWritesKind(gate.key);
  }

  send(entry: NodeEntry, lane: Lane, request: Buffer, handler: ReplyHandler, prefix = this.prefix): void {
    this.place(entry, lane, request, handler, prefix);
  }

  /**
   * WAIT or WAITAOF, on the client's own connection to `entry`. A node counts the replicas that
   * acknowledged the last write made on the connection the WAIT arrives on. This client's writes
   * may have gone on shared connections, so `marker` (a write of the tunnel's own, see WaitMarkers)
   * goes first when one of them may not be behind that connection's last write: a write sent since
   * the last marker, or a marker sent on a connection since replaced. Otherwise the WAIT counts
   * what a node counts for its client: one that never wrote, or whose writes a WAIT already
   * followed, gets every replica that acknowledged them, not only those that caught up since.
   */
  sendWait(entry: NodeEntry, marker: Buffer | null, request: Buffer, handler: ReplyHandler): void {
    this.go(entry, 'own', this.protocol(), this.login(), request, handler, null, marker);
  }

  /** Sends a run of requests (no CLIENT CACHING prefix: a client that tracks sends no runs). */
  sendRun(entry: NodeEntry, lane: Lane, run: LaneRun & CopiedRequests): void {
    this.place(entry, lane, run, run, null);
  }

  /**
   * Where a request goes is settled when it is issued: its lane, and the protocol and login then
   * in force. A request that waits for the other lane goes with those, whatever HELLO, AUTH or
   * SELECT the client sent after it (a node applies them in order too).
   */
  private place(
    entry: NodeEntry,
    lane: Lane,
    request: Buffer | CopiedRequests,
    waiter: ReplyHandler | LaneRun,
    prefix: Buffer | null,
  ): void {
    const settled = this.ownOnly || this.selected ? 'own' : lane === 'read' ? 'shared' : lane;
    this.go(entry, settled, this.protocol(), this.login(), request, waiter, prefix);
  }

  private go(
    entry: NodeEntry,
    lane: IssuedLane,
    protocol: number,
    login: Login | null,
    request: Buffer | CopiedRequests,
    waiter: ReplyHandler | LaneRun,
    prefix: Buffer | null,
    /** A WAIT's marker (see sendWait); undefined for any other request. */
    marker?: Buffer | null,
  ): void {
    let gate = this.gates.get(entry);
    let key = lane === 'own' ? OWN : sharedKind(protocol, lane === 'shared-write');
    // A read follows the client's writes in flight to that node, as on one connection.
    if (lane === 'shared' && gate && gate.inflight > 0 && gate.key === sharedKind(protocol, true))
      key = gate.key;
    if (!gate)
      this.gates.set(entry, (gate = { key, inflight: 0, waiting: [], unmarked: false, markedOn: null }));
    if (gate.waiting.length > 0 || (gate.inflight > 0 && gate.key !== key)) {
      gate.waiting.push(() => this.go(entry, lane, protocol, login, request, waiter, prefix, marker));
      return;
    }
    gate.key = key;
    gate.inflight++;
    const upstream =
      key === OWN
        ? this.ownIn(entry, protocol, request)
        : this.shared.get(entry, protocol, login, isWritesKind(key), entry.node.role === 'replica');
    const g = gate;
    if (prefix) upstream.send(prefix, () => {});
    if (marker === undefined) {
      // What may replicate: a shared write, or anything on the own connection (not read here).
      if (lane !== 'shared') g.unmarked = true;
    } else if (marker && (g.unmarked || (g.markedOn !== null && g.markedOn !== upstream))) {
      upstream.send(marker, () => {});
      g.unmarked = false;
      g.markedOn = upstream;
    }
    if (typeof waiter !== 'function') {
      waiter.gone = this.gone;
      waiter.gate = g;
      return upstream.sendRun(request, waiter);
    }
    const answered: ReplyHandler = (frame, failure) => {
      g.inflight--;
      waiter(frame, failure);
      this.release(g);
    };
    answered.gone = this.gone;
    // Only a run's requests are copied in when written (sendRun); any other request is its bytes.
    upstream.send(request as Buffer, answered);
  }

  /**
   * The client's own connection to `entry`, in the protocol `request` was issued in. One made (or
   * last switched) while the client spoke another protocol gets a HELLO first, unless `request` is
   * that HELLO: a request that waited, or that went while the connection was still opening, is
   * answered in its own protocol, and so is every request after a HELLO.
   */
  private ownIn(entry: NodeEntry, protocol: number, request: Buffer | CopiedRequests): Upstream {
    const upstream = this.own(entry, protocol);
    if (upstream.speaks !== protocol) {
      const hello = helloFor(protocol, true) as Buffer;
      if (request !== hello) upstream.send(hello, () => {});
      upstream.speaks = protocol;
    }
    return upstream;
  }

  /** The connection has answered every request of `run` (or failed). */
  settled(run: LaneRun): void {
    const g = run.gate as NodeGate;
    g.inflight--;
    this.release(g);
  }

  /** Requests waiting for the other lane go once nothing is in flight on the gate's. */
  private release(g: NodeGate): void {
    if (g.inflight === 0 && g.waiting.length > 0) {
      const next = g.waiting;
      g.waiting = [];
      for (const run of next) run();
    }
  }
}
