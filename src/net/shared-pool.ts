import type { Logger } from '../log.js';
import type { NodeEntry } from '../topology/node-table.js';
import { IDLE_MAX_MS } from './pool.js';
import { Upstream, type UpstreamLink } from './upstream.js';
import { Upstreams } from './upstreams.js';

/** The tunnel's shared connections, one per node and protocol. */
export interface SharedUpstreams {
  get(entry: NodeEntry, protocol: number): Upstream;
  close(): void;
}

/**
 * The tunnel's shared, pipelined connections: one per node and protocol, opened on first use and
 * again after one breaks. Requests of many clients queue on them in order, each with its own reply
 * handler, and leave in one write per turn of the event loop.
 */
export class SharedPool implements SharedUpstreams {
  private readonly byProtocol = new Map<number, Upstreams>();

  constructor(
    private readonly link: UpstreamLink,
    private readonly log: Logger,
  ) {}

  get(entry: NodeEntry, protocol: number): Upstream {
    let nodes = this.byProtocol.get(protocol);
    if (!nodes) {
      nodes = new Upstreams(
        (e, forget) =>
          new Upstream(
            e,
            this.link,
            () => protocol,
            // No request of a shared connection subscribes or tracks, so no push is anyone's.
            () => this.log.debug(`push on the shared connection to ${e.target.label} dropped`),
            forget,
          ),
        IDLE_MAX_MS,
      );
      this.byProtocol.set(protocol, nodes);
    }
    return nodes.get(entry);
  }

  /** A fresh credential reaches every shared connection, open or opening. */
  reauthenticate(auth: Buffer): void {
    for (const nodes of this.byProtocol.values())
      for (const u of nodes.values())
        u.reauth(auth, (ok, reply) => {
          const where = `shared connection to ${u.entry.target.label}`;
          if (ok) this.log.debug(`${where} re-authenticated with a fresh token`);
          else this.log.warn(`re-authentication refused on the ${where}: ${reply}`);
        });
  }

  /** The node left or moved: its shared connections close once their requests are answered. */
  retire(entry: NodeEntry): void {
    for (const nodes of this.byProtocol.values()) nodes.retire(entry);
  }

  close(): void {
    for (const nodes of this.byProtocol.values()) nodes.close();
    this.byProtocol.clear();
  }
}
