import { describeError, type Logger } from '../log.js';
import { ProtocolError } from '../resp/errors.js';
import type { SessionNotice } from '../protocol/sink.js';
import type { TunnelStats } from '../net/stats.js';

/** What a pinned client's session noticed: counted, or logged on the connection's logger. */
export function reportNotice(n: SessionNotice, stats: TunnelStats, log: Logger): void {
  if (n.kind === 'rewritten') {
    stats.rewrites++;
  } else if (n.kind === 'uncertain') {
    log.info(`reply pairing stopped, topology replies pass unchanged on this connection: ${n.reason}`);
  } else if (n.kind === 'unmapped') {
    const names = n.missing.map((m) => `${m.host}:${m.port}`).join(', ');
    log.warn(`reply names nodes the tunnel does not serve: ${names}`);
  } else if (n.ok) {
    log.debug("a request of the tunnel's own (a login, a wait marker) answered");
  } else {
    log.warn(`a request of the tunnel's own (a login, a wait marker) refused by the node: ${n.reply}`);
  }
}

/**
 * A pinned client's session failed on a frame: counted and logged; the caller closes that one
 * client. A malformed request never gets here: the shared lane answers one itself (in the node's
 * words) and ends the client; on the client's own connection the session passes it to the node
 * unparsed, which answers and closes, as it would without the tunnel.
 */
export function reportFailure(side: 'request' | 'reply', e: unknown, stats: TunnelStats, log: Logger): void {
  stats.error(side === 'request' ? 'malformed-request' : 'malformed-reply');
  if (e instanceof ProtocolError)
    log.warn(`malformed ${side} (${e.code}): ${e.message}; closing this connection`);
  else log.error(`unexpected ${side} failure: ${(e as Error).stack ?? describeError(e)}`);
}
