import { ClientRequests } from '../client/requests.js';
import type { Logger } from '../log.js';
import type { ParsedRequest } from '../protocol/commands.js';
import type { FrameEnds } from '../resp/frame-ends.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SharedUpstreams } from '../upstream/shared-pool.js';
import { checkLogin } from '../upstream/login-check.js';
import type { PinnedClientOwner } from './context.js';
import { brokenSharedReply } from './own-upstream.js';
import { SharedLane } from './shared-lane.js';
import type { LaneOwner } from './lane-rules.js';

/** What a pinned client does for its shared lane (the rest its lane owner does itself). */
export interface LaneClient {
  /** Records a request the lane serves with the client's reply tracker (see LaneOwner.track). */
  track(request: ParsedRequest): void;
  /** Reply bytes for the client, in order (dropped once the client is gone); see LaneOwner.reply. */
  reply(span: Buffer, ends?: FrameEnds): void;
  /** Nothing of the client's is in flight on the shared connection any more. */
  idle(): void;
  /** Ends the client after `last` (a reply saying why), or, with null, once its bytes are out. */
  end(last: Buffer | null): void;
  /** The client needs a connection of its own, from the request the lane holds on. */
  pin(why: string): void;
}

/**
 * A pinned client's way onto `entry`'s shared connections: the lane, and the owner it reports to,
 * which reaches the node's shared connections (through PrimarySender for a standalone primary),
 * has AUTHs checked, and samples hot keys when they are on.
 */
export function sharedLaneFor(
  owner: PinnedClientOwner,
  entry: NodeEntry,
  shared: SharedUpstreams,
  clientId: number,
  log: Logger,
  client: LaneClient,
): SharedLane {
  const { context } = owner;
  const hotKeys = context.hotKeys ? context.stats.nodes.of(entry.node.id).hotKeys : null;
  const laneOwner: LaneOwner = {
    upstream: (protocol, login, writes) => owner.sender(shared, entry, protocol, login, writes),
    checkLogin: (attempt, protocol, done) =>
      checkLogin(shared, entry, protocol, attempt, context.isTunnelCredential(attempt), done),
    track: (request) => client.track(request),
    rewrite: (request) => context.rewriteRequest(request),
    reply: (span, ends) => client.reply(span, ends),
    idle: () => client.idle(),
    // QUIT, answered: the client goes once its bytes are out.
    close: () => client.end(Buffer.alloc(0)),
    malformed: (e) => {
      context.stats.error('malformed-request');
      log.info(`malformed request (${e.code}); answered as the node would, closing this client`);
    },
    broken: (upstream, reason) =>
      client.end(brokenSharedReply(upstream.unreachable, reason, owner, entry.target, log)),
    pin: (why) => client.pin(why),
  };
  // The lane reads runs of a reused buffer (lent), and needs no request's arguments whole.
  const requests = new ClientRequests(context.reading(), context.requestLimits(), {
    lent: true,
    keepArgs: false,
  });
  return new SharedLane(laneOwner, requests, hotKeys, clientId);
}
