import type * as net from 'node:net';
import type { Logger } from '../log.js';
import { acceptFailure, bindFailure, closeServer, listenOn } from '../net/listen.js';
import { Throttle } from '../net/throttle.js';
import { hostOf } from '../topology/endpoint.js';
import type { NodeChange, NodeEntry, NodeTable } from '../topology/node-table.js';
import { StartupError } from './errors.js';

/** How often an accept failure (out of file descriptors) is logged. */
const ACCEPT_WARNING_INTERVAL_MS = 5000;

/** How many times a node whose local port is taken moves on to the next free one. */
const PORT_ATTEMPTS = 50;

/** Hands an accepted client connection to whoever pairs it with the node. */
export type Accept = (socket: net.Socket, entry: NodeEntry, self: { host: string; port: number }) => void;

/**
 * Pinned mode's front: one local listener per node in the table, bound when the node is added,
 * closed when it retires. It follows the table's changes and changes the table only to move a
 * port that another process holds.
 */
export class Listeners {
  private readonly servers = new Map<NodeEntry, net.Server>();
  private readonly acceptWarnings = new Throttle(ACCEPT_WARNING_INTERVAL_MS);
  /** Settles once a node's listener is bound (or failed to bind). */
  private readonly binding = new Map<NodeEntry, Promise<void>>();
  private readonly startupErrors: StartupError[] = [];
  private started = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly table: NodeTable,
    private readonly bind: string,
    private readonly accept: Accept,
    private readonly log: Logger,
  ) {
    this.unsubscribe = table.subscribe((change) => this.follow(change));
  }

  /** Waits for the binds under way; at startup, a failed one fails the start. */
  async settle(): Promise<void> {
    await Promise.all(this.binding.values());
    this.started = true;
    if (this.startupErrors.length > 0) throw this.startupErrors[0];
  }

  /** The local ports bound now. */
  ports(): number[] {
    return [...this.servers.keys()].map((e) => e.local.port).sort((a, b) => a - b);
  }

  /** Resolves once the listeners of these entries are bound (or failed to bind). */
  async bound(entries: Array<NodeEntry | undefined>): Promise<void> {
    await Promise.all(entries.map((e) => (e ? this.binding.get(e) : undefined)));
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all([...this.servers.values()].map((s) => closeServer(s)));
    this.servers.clear();
  }

  private follow(change: NodeChange): void {
    if (change.type === 'added') {
      this.binding.set(change.entry, this.listen(change.entry));
    } else if (change.type === 'retired') {
      const { entry } = change;
      this.log.info(`node ${entry.target.label} left the cluster; closing its listener ${entry.local.port}`);
      void closeServer(this.servers.get(entry));
      this.servers.delete(entry);
      this.binding.delete(entry);
    }
  }

  /** Binds a node's listener; an unpinned node whose port is taken moves to the next free port. */
  private async listen(entry: NodeEntry): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const server = await listenOn(
          this.bind,
          entry.local.port,
          (socket) => this.accept(socket, entry, selfOf(entry)),
          (e) => {
            // A storm beyond the file limit repeats this for every refused client: once per interval.
            if (this.acceptWarnings.allow('accept'))
              this.log.error(`listener ${entry.local.port}: ${acceptFailure(e)}`);
          },
        );
        if (this.table.get(entry.node.id) !== entry) return void closeServer(server); // retired meanwhile
        this.servers.set(entry, server);
        // Startup prints its own table; ad hoc targets were announced when they were added.
        if (this.started && !entry.adhoc) {
          const { host, port } = entry.local;
          this.log.info(`new node ${entry.target.label} (${entry.node.role}) served at ${host}:${port}`);
        }
        return;
      } catch (e) {
        const port = entry.local.port;
        const taken = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
        const moved = taken && attempt < PORT_ATTEMPTS ? this.table.movePort(entry.node.id) : undefined;
        if (moved === undefined) {
          const message = `cannot listen on ${this.bind}:${port} for node ${entry.target.label}: ${bindFailure(e)}`;
          if (!this.started) this.startupErrors.push(new StartupError('listen', message));
          else this.log.error(message);
          return;
        }
        this.log.info(`local port ${port} is taken; node ${entry.target.label} gets ${moved}`);
      }
    }
  }
}

/** The node as the cluster announces it, for replies that name "this node" by an empty endpoint. */
export function selfOf(entry: NodeEntry): { host: string; port: number } {
  return { host: hostOf(entry.node) || entry.target.host, port: entry.node.port };
}
