import type * as net from 'node:net';
import { encodeCommand } from '../resp/encode.js';
import { describeError } from '../log.js';
import { FrameCollector } from '../resp/frame-collector.js';
import type { OpenNode } from './connector.js';
import { NodeError } from './node-error.js';

const NOTHING = Buffer.alloc(0);

/**
 * Sends commands one at a time over an open node connection and returns each reply frame's
 * bytes: for discovery and topology refresh, not for client traffic.
 */
export class NodeCommander {
  private readonly socket: net.Socket;
  private readonly label: string;
  private readonly timeoutMs: number;
  private buffered: Buffer;

  constructor(open: OpenNode, label: string, timeoutMs: number) {
    this.socket = open.socket;
    this.label = label;
    this.timeoutMs = timeoutMs;
    // Bytes already read past a reply (none normally); the socket stays paused while idle.
    this.buffered = open.pending ?? NOTHING;
  }

  command(args: string[]): Promise<Buffer> {
    const socket = this.socket;
    return new Promise<Buffer>((resolve, reject) => {
      const collector = new FrameCollector();
      const finish = (err: Error | null, frame?: Buffer): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.pause();
        if (err) reject(err);
        else resolve(frame as Buffer);
      };
      const onData = (chunk: Buffer): void => {
        let got: ReturnType<FrameCollector['push']>;
        try {
          got = collector.push(chunk);
        } catch (e) {
          return finish(new NodeError(this.label, 'protocol', `malformed reply: ${describeError(e)}`));
        }
        if (!got) return;
        this.buffered = got.rest ?? NOTHING;
        finish(null, got.frame);
      };
      const onError = (err: Error): void => finish(new NodeError(this.label, 'connect', describeError(err)));
      const onClose = (): void => finish(new NodeError(this.label, 'closed', 'connection closed'));
      const timer = setTimeout(() => {
        const what = args.slice(0, 2).join(' ');
        finish(new NodeError(this.label, 'timeout', `no reply to ${what} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(encodeCommand(args));
      const early = this.buffered;
      this.buffered = NOTHING;
      if (early.length) onData(early);
      socket.resume();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
