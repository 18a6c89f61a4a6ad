import type { Logger } from '../log.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SharedUpstreams } from './lanes.js';
import { Upstream, type UpstreamLink, Upstreams } from './upstream.js';

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
      );
      this.byProtocol.set(protocol, nodes);
    }
    return nodes.get(entry);
  }

  close(): void {
    for (const nodes of this.byProtocol.values()) nodes.close();
    this.byProtocol.clear();
  }
}
