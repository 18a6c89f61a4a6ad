import type { Logger } from '../log.js';
import type { Connector } from '../net/connector.js';
import { encodeCommand } from '../resp/encode.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SharedUpstreams } from './lanes.js';
import { Upstream } from './upstream.js';

const HELLO3 = encodeCommand(['HELLO', '3']);

/**
 * The tunnel's shared, pipelined connections: one per node and protocol, opened on first use and
 * again after one breaks. Requests of many clients queue on them in order, each with its own reply
 * handler, and leave in one write per turn of the event loop.
 */
export class SharedPool implements SharedUpstreams {
  private readonly byProtocol = new Map<number, Map<NodeEntry, Upstream>>();

  constructor(
    private readonly connector: Connector,
    private readonly auth: () => Buffer | null,
    private readonly log: Logger,
  ) {}

  get(entry: NodeEntry, protocol: number): Upstream {
    let nodes = this.byProtocol.get(protocol);
    if (!nodes) this.byProtocol.set(protocol, (nodes = new Map()));
    let u = nodes.get(entry);
    if (!u || u.broken) {
      const pool = nodes;
      u = new Upstream(
        entry,
        this.connector,
        this.auth,
        () => (protocol === 3 ? HELLO3 : null),
        // No request of a shared connection subscribes or tracks, so no push is anyone's.
        () => this.log.debug(`push on the shared connection to ${entry.target.label} dropped`),
        (gone) => {
          if (pool.get(gone.entry) === gone) pool.delete(gone.entry);
        },
      );
      nodes.set(entry, u);
    }
    return u;
  }

  close(): void {
    for (const nodes of this.byProtocol.values()) for (const u of nodes.values()) u.close();
    this.byProtocol.clear();
  }
}
