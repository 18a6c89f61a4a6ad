import type * as net from 'node:net';
import { createLogger, describeError, type Logger } from '../log.js';
import { Connector } from '../net/connector.js';
import { TunnelStats } from '../net/stats.js';
import { NodeTable } from '../topology/node-table.js';
import type { NodeRef } from '../topology/types.js';
import { Credentials } from './credentials.js';
import { announceHostOf } from './options.js';
import { selfOf } from './listeners.js';
import { Serving } from './serving.js';
import { seedTarget, targetFor, transportFrom } from './transport.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

/** How often a worker reports what it counted. */
const REPORT_MS = 1000;

/**
 * A worker process (see workers.ts): it serves the clients the primary hands it, from a copy of
 * the primary's node table, and asks the primary for whatever changes the topology.
 */
export function runWorker(): void {
  const worker = new WorkerProcess();
  // The primary decides when to stop: a Ctrl-C reaches the whole process group, workers included.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  // Without the primary nobody hands out clients or keeps the topology.
  process.on('disconnect', () => process.exit(worker.stopped ? 0 : 1));
  process.on('message', (m: ToWorker, handle?: net.Socket) => worker.receive(m, handle));
  send({ t: 'hello' });
}

class WorkerProcess {
  private serving: Serving | null = null;
  private table: NodeTable | null = null;
  private credentials: Credentials | null = null;
  private readonly stats = new TunnelStats();
  private readonly asks = new Map<number, (ok: boolean) => void>();
  private nextAsk = 1;
  private log: Logger | null = null;
  private reporter: NodeJS.Timeout | null = null;
  /** Told to stop, and done: the channel closes next. */
  stopped = false;

  receive(m: ToWorker, handle: net.Socket | undefined): void {
    if (m.t === 'init') void this.start(m);
    else if (m.t === 'table') this.table?.mirror(m.records);
    else if (m.t === 'password') this.credentials?.set(m.password);
    else if (m.t === 'answer') {
      this.asks.get(m.seq)?.(m.ok);
      this.asks.delete(m.seq);
    } else if (m.t === 'pinned' && handle) {
      const entry = this.table?.get(m.nodeId);
      if (!this.serving || !entry) handle.destroy();
      else this.serving.acceptPinned(handle, entry, selfOf(entry));
    } else if (m.t === 'smart' && handle) {
      if (this.serving) this.serving.acceptSmart(handle);
      else handle.destroy();
    } else if (m.t === 'stop') void this.stop(m.graceMs);
  }

  private async start(init: Extract<ToWorker, { t: 'init' }>): Promise<void> {
    const { options } = init;
    const n = process.env.REDIS_CLUSTER_TUNNEL_WORKER ?? '?';
    const log = (this.log = createLogger(options.logLevel, options.logFormat).child({ worker: n }));
    try {
      const table = (this.table = new NodeTable({
        pins: [],
        localHost: announceHostOf(options),
        targetOf: targetFor(options),
      }));
      // The primary runs --auth-command and sends each new credential.
      const credentials = (this.credentials = new Credentials(
        { user: options.user, password: options.password, refreshMs: options.authRefreshMs },
        log,
      ));
      this.serving = new Serving(
        options,
        {
          table,
          connector: new Connector(transportFrom(options)),
          credentials,
          stats: this.stats,
          serve: (missing) => this.ask({ serve: missing }).then(() => undefined),
          refresh: (reason) => this.ask({ refresh: reason }),
        },
        log,
      );
      table.mirror(init.records);
      await this.serving.readCommands(seedTarget(options));
      if (options.mode !== 'pinned') await this.serving.startSmart(false);
      this.reporter = setInterval(() => this.report(), REPORT_MS);
      this.reporter.unref();
      send({ t: 'ready' });
    } catch (e) {
      send({ t: 'failed', error: describeError(e) });
    }
  }

  private ask(what: { serve?: NodeRef[]; refresh?: string }): Promise<boolean> {
    const seq = this.nextAsk++;
    return new Promise<boolean>((resolve) => {
      this.asks.set(seq, resolve);
      send({ t: 'ask', seq, ...what });
    });
  }

  private report(): void {
    if (!this.serving) return;
    const { connections, pool } = this.serving;
    const perNode = this.serving.perNode();
    send({ t: 'stats', delta: this.stats.take(), connections, perNode, poolIdle: pool.idleCount });
  }

  private async stop(graceMs: number): Promise<void> {
    if (this.reporter) clearInterval(this.reporter);
    try {
      await this.serving?.close(graceMs);
    } catch (e) {
      this.log?.warn(`stopping: ${describeError(e)}`);
    }
    this.report();
    this.stopped = true;
    process.disconnect();
  }
}

function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}
