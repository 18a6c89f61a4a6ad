import cluster, { type Worker } from 'node:cluster';
import type * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import type { NodeEntry } from '../topology/node-table.js';
import { StartupError } from './errors.js';
import type { TunnelOptions } from './options.js';
import type { TopologyLinks } from './serving.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

/** The script a worker process runs (built next to this file). */
const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/** A worker that exits on its own is started again after this long. */
const RESTART_AFTER_MS = 1000;

/** After the grace period, a worker that has not exited gets this long, then SIGKILL. */
const EXIT_MARGIN_MS = 3000;

export interface WorkerRow {
  worker: number;
  pid: number | undefined;
  ready: boolean;
  connections: { pinned: number; smart: number };
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  connections: { pinned: number; smart: number };
  /** Clients per node id, by the last report: [id, pinned, smart with an own connection]. */
  perNode: Array<[string, number, number]>;
  poolIdle: number;
}

/**
 * `--workers N`: N processes (node:cluster) serve the clients while this one, the primary, keeps
 * the topology, the listeners and the credential. The primary accepts each client and hands its
 * socket to the next worker in turn; every change to the node table is sent to every worker as
 * the whole table; a worker asks the primary to serve nodes a reply names, or to re-read the
 * topology, and reports what it counted every second.
 */
export class WorkerSet {
  private readonly slots: Slot[] = [];
  private next = 0;
  private stopping = false;
  private tableQueued = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly options: TunnelOptions,
    private readonly links: TopologyLinks,
    private readonly log: Logger,
  ) {
    this.unsubscribe = links.table.subscribe(() => this.queueTable());
    links.credentials.onRefresh(() => {
      const password = links.credentials.migrateAuth()?.password;
      if (password) this.broadcast({ t: 'password', password });
    });
  }

  /** Starts `count` workers; resolves once every one serves, or fails with the first one's reason. */
  async start(count: number): Promise<void> {
    cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });
    await Promise.all(Array.from({ length: count }, (_, i) => this.fork(i)));
    const pids = this.slots.map((s) => s.worker.process.pid).join(', ');
    this.log.info(`${count} worker processes serve the clients (pids ${pids})`);
  }

  private fork(index: number): Promise<void> {
    const worker = cluster.fork({ REDIS_CLUSTER_TUNNEL_WORKER: String(index + 1) });
    const slot: Slot = {
      index,
      worker,
      ready: false,
      connections: { pinned: 0, smart: 0 },
      perNode: [],
      poolIdle: 0,
    };
    this.slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'hello') {
          const { credentials, table } = this.links;
          const password = credentials.migrateAuth()?.password;
          this.send(slot, { t: 'init', options: { ...this.options, password }, records: table.records() });
        } else if (m.t === 'ready') {
          slot.ready = true;
          resolve();
        } else if (m.t === 'failed') {
          reject(new StartupError('seed', `worker ${index + 1}: ${m.error}`));
        } else {
          this.onMessage(slot, m);
        }
      });
      worker.on('exit', (code, signal) => {
        slot.ready = false;
        reject(new StartupError('listen', `worker ${index + 1} exited (${signal ?? code}) while starting`));
        if (this.stopping || this.slots[index] !== slot) return;
        this.log.error(
          `worker ${index + 1} exited (${signal ?? `code ${code}`}); its clients were disconnected; starting another`,
        );
        setTimeout(() => {
          if (!this.stopping)
            this.fork(index).catch((e: unknown) => this.log.error(`worker ${index + 1}: ${String(e)}`));
        }, RESTART_AFTER_MS).unref();
      });
    });
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.t === 'stats') {
      this.links.stats.add(m.delta, slot.index);
      slot.connections = m.connections;
      slot.perNode = m.perNode;
      slot.poolIdle = m.poolIdle;
    } else if (m.t === 'ask') {
      const asked = m.serve
        ? this.links.serve(m.serve).then(() => true)
        : this.links.refresh(m.refresh ?? '');
      void asked.then(
        (ok) => this.answer(slot, m.seq, ok),
        () => this.answer(slot, m.seq, false),
      );
    }
  }

  private answer(slot: Slot, seq: number, ok: boolean): void {
    // The table goes first: a worker acting on the answer must find the nodes it asked for.
    this.flushTable();
    this.send(slot, { t: 'answer', seq, ok });
  }

  /** Hands a node listener's client to the next worker. */
  pinned(socket: net.Socket, entry: NodeEntry): void {
    this.handOver(socket, { t: 'pinned', nodeId: entry.node.id });
  }

  /** Hands a smart-port client to the next worker. */
  smart(socket: net.Socket): void {
    this.handOver(socket, { t: 'smart' });
  }

  private handOver(socket: net.Socket, message: ToWorker): void {
    const ready = this.slots.filter((s) => s.ready);
    if (this.stopping || ready.length === 0) return void socket.destroy();
    const slot = ready[this.next++ % ready.length];
    // Handed over as a socket of no server: with its server named, node would make the listener's
    // close wait for a count from every worker that ever held one of its sockets, a dead one too.
    (socket as unknown as { server: unknown }).server = null;
    // Sent (its handle is then the worker's), or failed: either way this side is done with it.
    slot.worker.send(message, socket, () => socket.destroy());
  }

  /** Clients per node id in every worker, by their last reports: pinned, and smart with their own. */
  perNode(): Map<string, { pinned: number; smart: number }> {
    const out = new Map<string, { pinned: number; smart: number }>();
    for (const s of this.slots)
      for (const [id, pinned, smart] of s.perNode) {
        const n = out.get(id) ?? { pinned: 0, smart: 0 };
        out.set(id, { pinned: n.pinned + pinned, smart: n.smart + smart });
      }
    return out;
  }

  /** Client connections open in the workers, by their last reports. */
  get connections(): { pinned: number; smart: number } {
    const sum = { pinned: 0, smart: 0 };
    for (const s of this.slots) {
      sum.pinned += s.connections.pinned;
      sum.smart += s.connections.smart;
    }
    return sum;
  }

  /** Each worker: its process, whether it serves, and its clients by its last report. */
  rows(): WorkerRow[] {
    return this.slots.map((s) => ({
      worker: s.index + 1,
      pid: s.worker.process.pid,
      ready: s.ready,
      connections: s.connections,
    }));
  }

  get poolIdle(): number {
    return this.slots.reduce((n, s) => n + s.poolIdle, 0);
  }

  /** Every worker ends its connections within `graceMs` and exits; a late one is killed. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.unsubscribe();
    const exits = this.slots.map((s) =>
      s.worker.isDead()
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(() => s.worker.process.kill('SIGKILL'), graceMs + EXIT_MARGIN_MS);
            s.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            this.send(s, { t: 'stop', graceMs });
          }),
    );
    await Promise.all(exits);
  }

  private queueTable(): void {
    if (this.tableQueued) return;
    this.tableQueued = true;
    // A refresh changes many entries at once: they go out together, after it.
    setImmediate(() => this.flushTable());
  }

  private flushTable(): void {
    if (!this.tableQueued) return;
    this.tableQueued = false;
    this.broadcast({ t: 'table', records: this.links.table.records() });
  }

  private broadcast(message: ToWorker): void {
    for (const s of this.slots) if (s) this.send(s, message);
  }

  private send(slot: Slot, message: ToWorker): void {
    if (slot.worker.isConnected()) slot.worker.send(message);
  }
}
