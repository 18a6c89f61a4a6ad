import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { encodeCommand } from '../resp/encode.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { T_PUSH } from '../resp/types.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { TunnelOptions } from '../tunnel/options.js';
import { Tunnel } from '../tunnel/tunnel.js';
import type { NodeCommands } from '../tunnel/topology-watcher.js';

/**
 * The `cli` command's connection to the cluster: a tunnel in this process, in smart mode and with
 * no listener, and one client connection to it, so every command is routed as smart mode routes
 * it (keys to their slot's master, fan-outs, splits). Commands for one named node go to that node
 * directly, over a conversation of their own.
 */
export class ShellSession {
  private readonly waiting: Array<(frame: Buffer) => void> = [];
  private readonly splitter = (() => {
    const scanner = new ReplyScanner();
    return new FrameSplitter(scanner, () => scanner.inFrame);
  })();
  private readonly nodes = new Map<string, Promise<NodeCommands>>();
  /** Frames nobody asked for: RESP3 pushes, and RESP2 subscription messages. */
  onUnsolicited: (frame: Buffer) => void = () => {};
  /** The connection closed (QUIT, or the tunnel stopped). */
  closed = false;

  private constructor(
    readonly tunnel: Tunnel,
    private readonly socket: Duplex,
  ) {
    socket.on('data', (chunk: Buffer) =>
      this.splitter.push(chunk, (frame) => {
        const waiter = frame[0] === T_PUSH ? undefined : this.waiting.shift();
        if (waiter) waiter(Buffer.from(frame));
        else this.onUnsolicited(Buffer.from(frame));
      }),
    );
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(Buffer.from('-ERR the connection closed\r\n'));
    });
  }

  /** Reads the topology and the command table, as the tunnel does at startup; throws a StartupError. */
  static async open(options: TunnelOptions, log: Logger): Promise<ShellSession> {
    const tunnel = new Tunnel({ ...options, mode: 'smart', inProcess: true, workers: 1, pool: 0 }, log);
    await tunnel.start();
    return new ShellSession(tunnel, tunnel.connectInProcess());
  }

  /** Sends one command; resolves with its reply frame. */
  send(args: Buffer[]): Promise<Buffer> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(Buffer.from('-ERR the connection closed\r\n'));
      this.waiting.push(resolve);
      this.socket.write(encodeCommand(args));
    });
  }

  /** Sends one command to one node, as the tunnel's user; resolves with its reply frame. */
  async sendTo(entry: NodeEntry, args: Buffer[]): Promise<Buffer> {
    const id = entry.node.id;
    let open = this.nodes.get(id);
    if (!open) this.nodes.set(id, (open = this.tunnel.commandsAt(entry.target)));
    try {
      return await (await open).ask(args.map((a) => a.toString('latin1')));
    } catch (e) {
      this.nodes.delete(id);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.socket.end();
    for (const open of this.nodes.values()) void open.then((c) => c.close()).catch(() => {});
    await this.tunnel.stop(1000);
  }
}
