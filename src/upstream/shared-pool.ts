import type { Logger } from '../log.js';
import type { Login } from '../protocol/login.js';
import type { NodeEntry } from '../topology/node-table.js';
import { IDLE_MAX_MS } from './warm-pool.js';
import { Upstream } from './upstream.js';
import type { UpstreamLink } from './upstream-link.js';
import { Upstreams } from './upstreams.js';

/**
 * The tunnel's shared connections, two per node, protocol and login: one for requests a node holds
 * while it pauses writes, one for the rest (see CommandPolicy's `shared-write`).
 */
export interface SharedUpstreams {
  /**
   * `login`: a client's own (null: the tunnel's credential); `writes`: the one for writes;
   * `replicaReads`: smart mode's reads from a replica (READONLY on the connection).
   */
  get(
    entry: NodeEntry,
    protocol: number,
    login?: Login | null,
    writes?: boolean,
    replicaReads?: boolean,
  ): Upstream;
  close(): void;
}

/**
 * A shared connection's protocol and kind as one number, never 0: the tunnel's own groups are
 * found by it, and smart mode's Lanes tell their lanes apart by it.
 */
export function sharedKind(protocol: number, writes: boolean): number {
  return protocol * 2 + (writes ? 1 : 0);
}

/** Whether a sharedKind is the connection for writes. */
export function isWritesKind(kind: number): boolean {
  return kind % 2 === 1;
}

/** Group keys of the tunnel's own login, by sharedKind (protocol 2 or 3: 4 to 7). */
const TUNNEL_KEYS = ['', '', '', '', '2r', '2w', '3r', '3w'];

/** The connections of one protocol, login and kind (writes or not), per node. */
interface Group {
  nodes: Upstreams;
  /** True for the tunnel's own credential: a refresh reaches these, and only these. */
  tunnel: boolean;
}

/**
 * The tunnel's shared, pipelined connections: per node, protocol and login, one for writes and one
 * for everything else (so a write a node holds holds no one's reads), opened on first
 * use and again after one breaks. Requests of many clients queue on them in order, each with its
 * own reply handler, and leave in one write per turn of the event loop. Clients that never logged
 * in share the tunnel's login; those that logged in share with clients of the same login only.
 */
export class SharedPool implements SharedUpstreams {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly link: UpstreamLink,
    private readonly log: Logger,
  ) {}

  get(
    entry: NodeEntry,
    protocol: number,
    login: Login | null = null,
    writes = false,
    replicaReads = false,
  ): Upstream {
    // The tunnel's own groups are looked up without building a key (every request asks).
    const kind = replicaReads ? 'o' : writes ? 'w' : 'r';
    const key = login
      ? `${protocol}${kind}:${login.key}`
      : replicaReads
        ? `${protocol}o`
        : TUNNEL_KEYS[sharedKind(protocol, writes)];
    let group = this.groups.get(key);
    if (!group) {
      const link: UpstreamLink = login ? { ...this.link, auth: () => login.auth } : this.link;
      const made: Group = {
        nodes: new Upstreams(
          (e, forget) =>
            new Upstream(
              e,
              link,
              protocol,
              // No request of a shared connection subscribes or tracks, so no push is anyone's.
              () => this.log.debug(`push on the shared connection to ${e.target.label} dropped`),
              (gone) => {
                forget(gone);
                // A client's login keeps its group only while it has a connection: logins that
                // were refused, or that nobody uses any more, leave nothing behind.
                if (login && made.nodes.size === 0 && this.groups.get(key) === made) this.groups.delete(key);
              },
              replicaReads,
            ),
          IDLE_MAX_MS,
        ),
        tunnel: login === null,
      };
      this.groups.set(key, (group = made));
    }
    return group.nodes.get(entry);
  }

  /** How many groups (protocol, login and kind) have connections or had them until now. */
  get groupCount(): number {
    return this.groups.size;
  }

  /** A fresh credential reaches every shared connection of the tunnel's login, open or opening. */
  reauthenticate(auth: Buffer): void {
    for (const { nodes, tunnel } of this.groups.values())
      if (tunnel)
        for (const u of nodes.values())
          u.reauth(auth, (ok, reply) => {
            const where = `shared connection to ${u.entry.target.label}`;
            if (ok) this.log.debug(`${where} re-authenticated with a fresh token`);
            else this.log.warn(`re-authentication refused on the ${where}: ${reply}`);
          });
  }

  /** The node left or moved: its shared connections close once their requests are answered. */
  retire(entry: NodeEntry): void {
    for (const { nodes } of this.groups.values()) nodes.retire(entry);
  }

  close(): void {
    for (const { nodes } of this.groups.values()) nodes.close();
    this.groups.clear();
  }
}
