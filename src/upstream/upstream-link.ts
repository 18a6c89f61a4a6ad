import { describeError, type Logger } from '../log.js';
import { ProtocolError } from '../resp/errors.js';
import type { Connector } from '../net/connector.js';
import type { FileBudget } from '../net/file-budget.js';
import type { TunnelStats } from '../net/stats.js';
import { encodeCommand } from '../resp/encode.js';

/** How an upstream reaches its node: the tunnel's connector and current AUTH request. */
export interface UpstreamLink {
  connector: Connector;
  auth: () => Buffer | null;
  /** Where a node that cannot be reached, or a malformed reply, is counted. */
  stats: TunnelStats;
  /** Where a malformed reply is reported. */
  log?: Logger;
  /**
   * The open-file limit, when these connections are a client's own (smart mode's); the shared
   * ones are in what the tunnel keeps for itself.
   */
  files?: FileBudget;
}

const HELLO2 = encodeCommand(['HELLO', '2']);
const HELLO3 = encodeCommand(['HELLO', '3']);
/** Sent first on a connection to a cluster replica that serves reads. */
export const READONLY = encodeCommand(['READONLY']);

/** The HELLO that switches a connection to `protocol`; null for RESP2, which needs none to start. */
export function helloFor(protocol: number, evenForResp2 = false): Buffer | null {
  if (protocol === 3) return HELLO3;
  return evenForResp2 ? HELLO2 : null;
}

/**
 * A node's bytes on a connection were not RESP: counted, and logged at warn with the node. Returns
 * the reason the requests waiting on that connection fail with.
 */
export function malformedReply(link: UpstreamLink, node: string, e: unknown): string {
  link.stats.error('malformed-reply');
  const what = e instanceof ProtocolError ? `(${e.code}) ${e.message}` : describeError(e);
  link.log?.warn(
    `malformed reply ${what} from node ${node}; closing that connection, and the requests waiting on it fail`,
  );
  return `malformed reply from node ${node}: ${describeError(e)}`;
}
