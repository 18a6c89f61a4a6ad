import * as net from 'node:net';

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
