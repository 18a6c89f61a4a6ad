import type * as net from 'node:net';
import type { Logger } from '../log.js';
import { acceptFailure, closeServer, listenOn } from '../net/listen.js';
import { Throttle } from '../net/throttle.js';
import { SmartClient } from './client.js';
import type { SmartContext } from './context.js';

/** Smart mode's front: one listener for the whole cluster, a SmartClient per connection. */
export class SmartFront {
  private server: net.Server | null = null;
  private readonly clients = new Set<SmartClient>();
  private nextId = 1;
  /** An accept failure (out of file descriptors) is logged once per 5 s, not per refused client. */
  private readonly acceptWarnings = new Throttle(5000);

  constructor(
    private readonly ctx: SmartContext,
    private readonly log: Logger,
  ) {}

  /** Binds the smart port; rejects with the bind error (EADDRINUSE...). */
  async listen(bind: string, port: number, accepting: () => boolean): Promise<void> {
    this.server = await listenOn(
      bind,
      port,
      (socket) => (accepting() ? this.accept(socket) : socket.destroy()),
      (e) => {
        if (this.acceptWarnings.allow('accept')) this.log.error(`smart port ${port}: ${acceptFailure(e)}`);
      },
    );
  }

  get size(): number {
    return this.clients.size;
  }

  /** Clients with a connection of their own to each node, by node id. */
  perNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.clients) for (const id of c.ownNodeIds) out.set(id, (out.get(id) ?? 0) + 1);
    return out;
  }

  accept(socket: net.Socket): void {
    if (!this.ctx.files.admit(socket)) return;
    const log = this.log.child({ component: 'smart', conn: this.nextId++ });
    this.ctx.stats.accepted.smart++;
    const client = new SmartClient(socket, this.ctx, log, (c) => {
      if (this.clients.delete(c)) this.ctx.files.release();
    });
    this.clients.add(client);
  }

  async close(): Promise<void> {
    const closing = closeServer(this.server);
    for (const c of this.clients) c.destroy();
    // The shared connections are the serving side's: pinned clients may still be using them.
    await closing;
  }
}
