import { readFileSync } from 'node:fs';
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

/** The soft limit on open files (Linux, from /proc/self/limits); null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

/**
 * The limit as it was when the tunnel started: out of descriptors, /proc/self/limits cannot even
 * be opened to read it. A constant, read once.
 */
export const OPEN_FILE_LIMIT = openFileLimit();

/**
 * Words an accept failure. Out of file descriptors, the kernel refuses new connections until some
 * close (Node keeps running): the line says so, with the limit and how to raise it.
 */
export function acceptFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EMFILE' || code === 'ENFILE') {
    const limit = OPEN_FILE_LIMIT;
    return (
      `out of file descriptors${limit ? ` (the limit is ${limit} open files)` : ''}: new connections are ` +
      'refused until some close; raise the limit (ulimit -n, or LimitNOFILE= for a service)'
    );
  }
  return describeError(e);
}

/**
 * How long a client the tunnel is ending (after QUIT, a request it could not read, or its node
 * closing) keeps its connection: time to read its last replies. A node closes such a connection
 * at once; the tunnel sends FIN first, so a reset cannot take the last reply with it, then closes.
 */
export const CLIENT_DRAIN_MS = 10_000;

/**
 * Ends a client connection the tunnel is done with: `last` (if any) and FIN now, closed after
 * CLIENT_DRAIN_MS. The caller keeps reading what the client still sends, and drops it.
 */
export function endClient(socket: net.Socket, last?: Buffer): void {
  if (last) socket.end(last);
  else socket.end();
  setTimeout(() => socket.destroy(), CLIENT_DRAIN_MS).unref();
}
