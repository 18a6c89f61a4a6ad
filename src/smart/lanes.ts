import type { Login } from '../protocol/login.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SharedUpstreams } from '../net/shared-pool.js';
import type { ReplyHandler, Upstream } from '../net/upstream.js';

export type { SharedUpstreams };

/**
 * Which connection a request takes to its node. `shared`: the tunnel's pipelined connection to the
 * node, shared by every client in that protocol (RESP2 or RESP3): many clients' requests go out in
 * one TLS record. `own`: this client's own connection, for what holds a connection or changes its
 * state (blocking commands, CLIENT, SELECT, HELLO).
 */
export type Lane = 'shared' | 'own';

const OWN = 0;

interface NodeGate {
  /** The lane of the requests in flight to this node: OWN, or the protocol of the shared one. */
  key: number;
  inflight: number;
  /** Requests waiting for the other lane's requests to this node to be answered. */
  waiting: Array<() => void>;
}

/**
 * One client's way to its nodes. A client's requests to one node stay in order even when they
 * take different connections: a request changes lanes only once every request in flight on the
 * other lane has been answered, as one connection to one server would order them.
 */
export class Lanes {
  private readonly gates = new Map<NodeEntry, NodeGate>();

  constructor(
    private readonly shared: SharedUpstreams,
    private readonly own: (entry: NodeEntry) => Upstream,
    private readonly protocol: () => number,
    /** The client's own login (null: the tunnel's), whose shared connections it takes. */
    private readonly login: () => Login | null,
  ) {}

  send(entry: NodeEntry, lane: Lane, request: Buffer, handler: ReplyHandler): void {
    const protocol = this.protocol();
    const key = lane === 'own' ? OWN : protocol;
    let gate = this.gates.get(entry);
    if (!gate) this.gates.set(entry, (gate = { key, inflight: 0, waiting: [] }));
    if (gate.waiting.length > 0 || (gate.inflight > 0 && gate.key !== key)) {
      gate.waiting.push(() => this.send(entry, lane, request, handler));
      return;
    }
    gate.key = key;
    gate.inflight++;
    const upstream = lane === 'own' ? this.own(entry) : this.shared.get(entry, protocol, this.login());
    const g = gate;
    upstream.send(request, (frame, failure) => {
      g.inflight--;
      handler(frame, failure);
      if (g.inflight === 0 && g.waiting.length > 0) {
        const next = g.waiting;
        g.waiting = [];
        for (const run of next) run();
      }
    });
  }
}
