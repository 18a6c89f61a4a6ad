import { errorReply } from '../resp/encode.js';

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
export const HTTP_COMMANDS = new Set(['post', 'host:', 'get /', 'put']);
