import * as net from 'node:net';
import type { NodeTarget } from '../topology/types.js';

/** RESP reply type bytes a plaintext Redis answers an inline PING with (+PONG, -NOAUTH, -ERR...). */
const REPLY_START = new Set([0x2b, 0x2d]);

/**
 * Asks, in plaintext, whether a node that stayed silent during the TLS handshake is a plaintext
 * Redis port after all: an inline PING answered by a RESP line says so. Used only to word a
 * startup error; resolves false on silence, an error or the timeout.
 */
export function answersPlaintext(target: NodeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const finish = (yes: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk: Buffer) => finish(REPLY_START.has(chunk[0])));
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}
