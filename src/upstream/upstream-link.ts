import type { Logger } from '../log.js';
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
