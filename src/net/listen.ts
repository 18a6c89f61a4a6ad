import * as net from 'node:net';
import { describeError } from '../log.js';

/**
 * Binds a listener that hands each connection, paused, to `onConnection`; rejects with the bind
 * error (EADDRINUSE...) so the caller can choose another port.
 */
export function listenOn(
  host: string,
  port: number,
  onConnection: (socket: net.Socket) => void,
  onError: (e: Error) => void,
): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
  return new Promise<net.Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve(server);
    });
  });
}

/** Stops accepting; resolves once the server is closed (at once when it never listened). */
export function closeServer(server: net.Server | null | undefined): Promise<void> {
  return new Promise((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
}

/** Words a bind error for one line of output. */
export function bindFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'address in use';
  if (code === 'EADDRNOTAVAIL') return 'address not available here';
  return describeError(e);
}
