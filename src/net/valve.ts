import type * as net from 'node:net';

/** Pause reasons for one socket: it flows again only when none is left. */
export class Valve {
  private readonly reasons = new Set<string>();
  constructor(private readonly socket: net.Socket) {}

  close(reason: string): void {
    if (this.reasons.size === 0) this.socket.pause();
    this.reasons.add(reason);
  }

  open(reason: string): void {
    if (!this.reasons.delete(reason)) return;
    if (this.reasons.size === 0) this.socket.resume();
  }
}
