import { describeError, type Logger } from '../log.js';
import { errorReply } from '../resp/encode.js';
import type { Login } from '../protocol/login.js';
import type { NodeTarget } from '../topology/types.js';
import type { OpenNode } from '../net/connector.js';
import { NodeError } from '../net/node-error.js';
import type { PinnedClientOwner, PinnedContext } from './context.js';
import { SocketReads } from '../net/socket-reads.js';
import type { Throttle } from '../net/throttle.js';

/** Why a client could not get a connection to its node: the reply it gets, then it is closed. */
export interface Refusal {
  reply: Buffer;
}

/**
 * Opens a client's own connection to `target`: a warm one from the pool, else a new one (reading
 * into a reused buffer). A client that logged in itself (`login`) gets a new one logged in as it:
 * warm ones are the tunnel's. When the node cannot be reached, the failure is counted, logged (once per
 * node per interval at warn), the topology re-read (a failover may have moved the node), and the
 * refusal the client should get is returned.
 */
export async function openOwnUpstream(
  context: PinnedContext,
  target: NodeTarget,
  warnings: Throttle,
  log: Logger,
  login: Login | null = null,
): Promise<OpenNode | Refusal> {
  const { connector, auth, onUnreachable, pool, files } = context;
  try {
    const open = await files.open(async () =>
      login
        ? await connector.open(target, login.auth, new SocketReads())
        : (pool.take(target) ?? (await connector.open(target, auth(), new SocketReads()))),
    );
    return open ?? { reply: errorReply(files.refusal()) };
  } catch (e) {
    const reason = describeError(e, { withNode: false });
    context.stats.error('unreachable');
    // Out of file descriptors is this machine's trouble: the topology has nothing to do with it.
    const local = e instanceof NodeError && e.code === 'local';
    reportUnreachable(`cannot open upstream: ${reason}`, local ? null : onUnreachable, target, warnings, log);
    // The node's own refusal of a login (a password changed since the client's AUTH) is the client's.
    if (e instanceof NodeError && e.reply) return { reply: e.reply };
    return { reply: unreachableReply(`cannot reach node ${target.label}: ${reason}`) };
  }
}

/**
 * Logs that a node could not be reached, at warn once per node per interval (a node that is down
 * meets every client retry), and asks for the topology to be re-read when `reread` is given.
 */
export function reportUnreachable(
  what: string,
  reread: ((target: NodeTarget) => void) | null,
  target: NodeTarget,
  warnings: Throttle,
  log: Logger,
): void {
  if (warnings.allow(target.label)) {
    log.warn(`${what} (repeats within ${warnings.intervalMs / 1000} s are logged at debug)`);
  } else {
    log.debug(what);
  }
  reread?.(target);
}

/**
 * The client learns which node failed and why (`why` names the node, as the shared connection's
 * failures do). CLUSTERDOWN, not ERR: cluster clients answer it by
 * re-reading the topology and retrying (ioredis, redis-py, go-redis), which is what a failover
 * needs; ERR would fail the command.
 */
export function unreachableReply(why: string): Buffer {
  return errorReply(`CLUSTERDOWN redis-cluster-tunnel: ${why}`);
}

/**
 * A client's shared connection broke with its requests on it. When its node could not be reached,
 * that is reported (see reportUnreachable) and the client's last words say so; otherwise (the node
 * closed it) null: the client just ends, as it would if its own connection had broken.
 */
export function brokenSharedReply(
  unreachable: boolean,
  reason: string,
  owner: PinnedClientOwner,
  target: NodeTarget,
  log: Logger,
): Buffer | null {
  if (!unreachable) {
    log.debug(`shared connection broke with requests in flight: ${reason}`);
    return null;
  }
  reportUnreachable(reason, owner.context.onUnreachable, target, owner.unreachableWarnings, log);
  return unreachableReply(reason);
}

export function isRefusal(x: OpenNode | Refusal): x is Refusal {
  return 'reply' in x;
}
