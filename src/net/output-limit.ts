import type * as net from 'node:net';
import type { Logger } from '../log.js';
import type { TunnelStats } from './stats.js';

/**
 * Whether a client has left more reply bytes unread in the tunnel than `limit` (0: no limit), and
 * if so, its one warn line and count; the caller closes it, as a node closes a client past its
 * output buffer limit. Replies on a shared connection cannot wait in the node for one slow
 * reader, so without this a client that asks and never reads would grow the tunnel without end.
 */
export function overOutputLimit(client: net.Socket, limit: number, stats: TunnelStats, log: Logger): boolean {
  if (limit <= 0 || client.writableLength <= limit) return false;
  stats.error('output-limit');
  log.warn(
    `client ${client.remoteAddress ?? '?'}:${client.remotePort ?? '?'} closed: ${client.writableLength} bytes of replies unread, over --client-output-limit (${limit})`,
  );
  return true;
}
