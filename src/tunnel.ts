import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import type { Logger } from './log.js';
import { type ConnectSettings, NodeCommander, NodeError, type NodeTarget, openNode } from './net/connect.js';
import { ConnectionPair } from './net/pair.js';
import { type TunnelOptions, announceHostOf, isLoopback } from './options.js';
import type { LocalAddress } from './rewrite/address.js';
import { AddressMap } from './topology/address-map.js';
import { discover } from './topology/discovery.js';
import type { ClusterNode } from './topology/parse.js';

/** A startup failure, already worded as one line naming what failed and why. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** One node the tunnel serves. */
export interface NodeEntry {
  node: ClusterNode;
  local: LocalAddress;
  target: NodeTarget;
  server: net.Server | null;
}

export function connectSettingsFrom(o: TunnelOptions): ConnectSettings {
  const read = (what: string, file: string | undefined): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new StartupError(
        `cannot read the ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  if (Boolean(o.certFile) !== Boolean(o.keyFile)) throw new StartupError('--cert and --key go together');
  return {
    tls: o.tls,
    ca: read('CA certificate', o.caFile),
    cert: read('client certificate', o.certFile),
    key: read('client key', o.keyFile),
    insecure: o.insecure,
    user: o.user,
    password: o.password,
    connectTimeoutMs: o.connectTimeoutMs,
  };
}

export class Tunnel {
  readonly options: TunnelOptions;
  readonly map = new AddressMap();
  readonly entries = new Map<string, NodeEntry>();
  private readonly log: Logger;
  private readonly pairs = new Set<ConnectionPair>();
  private settings: ConnectSettings | null = null;
  private seedId: string | undefined;
  private stopping = false;

  constructor(options: TunnelOptions, log: Logger) {
    this.options = options;
    this.log = log.child({ component: 'tunnel' });
  }

  async start(): Promise<void> {
    const o = this.options;
    this.settings = connectSettingsFrom(o);
    if (o.insecure && o.tls)
      this.log.warn(
        '--insecure: node certificates are not verified; anyone on the path can read the traffic',
      );
    if (!isLoopback(o.bind)) {
      this.log.warn(
        `listening on ${o.bind}, not loopback: anyone who reaches these ports uses the tunnel's credentials`,
      );
    }
    const nodes = await this.discover();
    this.plan(nodes);
    await this.bindAll();
  }

  /** The seed's entry: what clients should be pointed at. */
  get seed(): NodeEntry | undefined {
    return (
      (this.seedId && this.entries.get(this.seedId)) ||
      [...this.entries.values()].find((e) => e.node.role === 'master')
    );
  }

  private seedTarget(): NodeTarget {
    const { host, port } = this.options.seed;
    return { host, port, label: `${host}:${port}`, tlsName: this.options.sni ?? host };
  }

  private async discover(): Promise<ClusterNode[]> {
    const target = this.seedTarget();
    let open;
    try {
      open = await openNode(target, this.settings as ConnectSettings);
    } catch (e) {
      if (e instanceof NodeError) throw new StartupError(`seed ${e.node}: ${e.reason}`);
      throw e;
    }
    const commander = new NodeCommander(open, target.label, this.options.connectTimeoutMs);
    try {
      const topology = await discover(
        (args) => commander.command(args),
        target.label,
        this.options.tls,
        target.host,
      );
      const seed = topology.nodes.find(
        (n) =>
          n.port === target.port &&
          (n.ip === target.host || n.hostname === target.host || n.endpoint === target.host),
      );
      this.seedId = seed?.id;
      this.log.info(`discovered ${topology.nodes.length} nodes with ${topology.source} from ${target.label}`);
      return topology.nodes;
    } catch (e) {
      throw new StartupError(e instanceof Error ? e.message : String(e));
    } finally {
      commander.close();
    }
  }

  /** Node → dial target, with the TLS name rule: --sni, else its hostname, else the seed's name, else its IP. */
  targetFor(node: ClusterNode): NodeTarget {
    const seedHost = this.options.seed.host;
    const host = node.ip || node.hostname || seedHost;
    const seedIsName = net.isIP(seedHost) === 0;
    const tlsName = this.options.sni ?? node.hostname ?? (seedIsName ? seedHost : host);
    return { host, port: node.port, label: `${node.hostname ?? host}:${node.port}`, tlsName };
  }

  /** Local address plan: each node on its own port on the bind address. */
  private plan(nodes: ClusterNode[]): void {
    const host = announceHostOf(this.options);
    const byPort = new Map<number, ClusterNode>();
    for (const node of nodes) {
      const clash = byPort.get(node.port);
      if (clash) {
        throw new StartupError(
          `nodes ${this.targetFor(clash).label} and ${this.targetFor(node).label} share port ${node.port}; ` +
            'one local listener per port is all this version supports',
        );
      }
      byPort.set(node.port, node);
      const local = { host, port: node.port };
      this.map.set(node, local);
      this.entries.set(node.id, { node, local, target: this.targetFor(node), server: null });
    }
  }

  private async bindAll(): Promise<void> {
    try {
      await Promise.all([...this.entries.values()].map((e) => this.listen(e)));
    } catch (e) {
      await this.closeServers();
      throw e;
    }
  }

  private listen(entry: NodeEntry): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      this.accept(entry, socket),
    );
    entry.server = server;
    return new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why =
          e.code === 'EADDRINUSE'
            ? 'address in use'
            : e.code === 'EADDRNOTAVAIL'
              ? 'address not available here'
              : e.message;
        reject(
          new StartupError(
            `cannot listen on ${this.options.bind}:${entry.local.port} for node ${entry.target.label}: ${why}`,
          ),
        );
      });
      server.listen({ host: this.options.bind, port: entry.local.port }, () => {
        server.on('error', (e) => this.log.error(`listener ${entry.local.port}: ${e.message}`));
        resolve();
      });
    });
  }

  private accept(entry: NodeEntry, socket: net.Socket): void {
    if (this.stopping) return void socket.destroy();
    const pair = new ConnectionPair(socket, {
      target: entry.target,
      self: { host: entry.node.ip || entry.node.hostname || entry.target.host, port: entry.node.port },
      settings: this.settings as ConnectSettings,
      lookup: this.map.lookup,
      maxFrameBytes: this.options.maxFrameBytes,
      log: this.log.child({ component: 'conn', node: entry.target.label }),
      onClose: (p) => this.pairs.delete(p),
    });
    this.pairs.add(pair);
    void pair.start();
  }

  get connectionCount(): number {
    return this.pairs.size;
  }

  private async closeServers(): Promise<void> {
    await Promise.all(
      [...this.entries.values()].map(
        (e) =>
          new Promise<void>((resolve) =>
            e.server && e.server.listening ? e.server.close(() => resolve()) : resolve(),
          ),
      ),
    );
  }

  /** Stops listening, ends every connection cleanly, and destroys what has not closed after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const closing = this.closeServers();
    for (const p of this.pairs) p.end();
    const deadline = Date.now() + graceMs;
    while (this.pairs.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const p of this.pairs) p.destroy();
    await closing;
  }
}
