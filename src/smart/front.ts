import type * as net from 'node:net';
import type { Logger } from '../log.js';
import { closeServer, listenOn } from '../net/listen.js';
import { type SmartContext, SmartClient } from './client.js';

/** Smart mode's front: one listener for the whole cluster, a SmartClient per connection. */
export class SmartFront {
  private server: net.Server | null = null;
  private readonly clients = new Set<SmartClient>();
  private nextId = 1;

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
      (e) => this.log.error(`smart port ${port}: ${e.message}`),
    );
  }

  get size(): number {
    return this.clients.size;
  }

  private accept(socket: net.Socket): void {
    const log = this.log.child({ component: 'smart', conn: this.nextId++ });
    this.ctx.stats.accepted.smart++;
    const client = new SmartClient(socket, this.ctx, log, (c) => this.clients.delete(c));
    this.clients.add(client);
  }

  async close(): Promise<void> {
    const closing = closeServer(this.server);
    for (const c of this.clients) c.destroy();
    this.ctx.shared.close();
    await closing;
  }
}
