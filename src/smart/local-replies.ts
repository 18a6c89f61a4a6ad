import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import type { TunnelStats } from '../net/stats.js';
import { errorReply, protocolErrorReply } from '../resp/encode.js';
import { ProtocolError } from '../resp/errors.js';

/** RESP2 in subscribed state: PING answers as an array, QUIT and RESET pass, the rest is refused. */
export function subscribedReply(name: string, args: Buffer[]): Buffer {
  if (name === 'ping') {
    const arg = args[1] ?? Buffer.alloc(0);
    return Buffer.concat([
      Buffer.from('*2\r\n$4\r\npong\r\n'),
      Buffer.from(`$${arg.length}\r\n`),
      arg,
      Buffer.from('\r\n'),
    ]);
  }
  return errorReply(
    `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}

/** Requests a browser sends when a web page is tricked into talking to a Redis port. */
const HTTP_COMMANDS = new Set(['post', 'host:', 'get /', 'put']);

/**
 * A browser's request reached the port: the client is closed, as Redis does, before anything
 * reaches a node. True when it was.
 */
export function closedCrossProtocol(name: string, socket: net.Socket, log: Logger): boolean {
  if (!HTTP_COMMANDS.has(name)) return false;
  log.warn(`possible cross-protocol attack (${name.toUpperCase()} sent to the smart port); closing`);
  socket.destroy();
  return true;
}

/**
 * A malformed request: counted and logged, and the error a server answers it with. The client is
 * closed once the replies to the requests before it are written, as a server does.
 */
export function malformedReply(e: unknown, stats: TunnelStats, log: Logger): Buffer {
  stats.error('malformed-request');
  log.info(`malformed request (${e instanceof ProtocolError ? e.code : 'error'}); closing this client`);
  return e instanceof ProtocolError ? protocolErrorReply(e) : errorReply(`ERR ${describeError(e)}`);
}
