/**
 * A latency relay: a test tool (not part of the tunnel) standing in for a WAN, since these
 * machines have no netem. It listens on a loopback address, forwards every connection to a target,
 * and delays each direction by `delayMs` (chunks keep their order). Put one in front of each node
 * and point the tunnel at them with --resolve to see what a user that far away sees.
 */
import * as net from 'node:net';

/** One direction of one connection: chunks released `delayMs` after they arrived, in order. */
class DelayedPipe {
  private readonly queue: Array<{ at: number; chunk: Buffer }> = [];
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly to: net.Socket,
    private readonly delayMs: number,
    /** Nothing leaves before this time: the TCP handshake's round trip, which the relay skips. */
    private readonly notBefore = 0,
  ) {}

  push(chunk: Buffer): void {
    this.queue.push({ at: Math.max(Date.now(), this.notBefore) + this.delayMs, chunk });
    this.schedule();
  }

  /** The other side finished: end this one once what is queued has gone. */
  end(): void {
    this.ended = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const next = this.queue[0];
    if (!next) {
      if (this.ended) this.to.end();
      return;
    }
    this.timer = setTimeout(() => this.release(), Math.max(0, next.at - Date.now()));
  }

  private release(): void {
    this.timer = null;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].at <= now)
      this.to.write((this.queue.shift() as { chunk: Buffer }).chunk);
    this.schedule();
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

export interface LatencyRelay {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Starts a relay on `listen` that reaches `target` with `delayMs` each way. */
export async function startLatencyRelay(
  listen: { host: string; port: number },
  target: { host: string; port: number },
  delayMs: number,
): Promise<LatencyRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({
      host: target.host,
      port: target.port,
      noDelay: true,
      allowHalfOpen: true,
    });
    client.setNoDelay(true);
    // A client far away could send its first byte only after SYN and SYN-ACK: one round trip.
    const up = new DelayedPipe(upstream, delayMs, Date.now() + 2 * delayMs);
    const down = new DelayedPipe(client, delayMs);
    for (const s of [client, upstream]) sockets.add(s);
    client.on('data', (c: Buffer) => up.push(c));
    upstream.on('data', (c: Buffer) => down.push(c));
    client.on('end', () => up.end());
    upstream.on('end', () => down.end());
    const close = (): void => {
      up.destroy();
      down.destroy();
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    // The node closed: what it sent before still reaches the client, late, then the end.
    upstream.on('close', () => down.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    host: listen.host,
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
