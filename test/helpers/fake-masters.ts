/**
 * Fakes (named so) for driving a whole smart client in one process: three fake masters that answer
 * each request with what a test's script says, reached through a fake connector over in-process
 * sockets, and the context a smart client runs in, built from the project's own parts (node table,
 * planner on the recorded COMMAND table, shared pool, reply queue, dispatcher). What a real node
 * does is tested end to end; these serve what a real node will not do on demand: answer out of
 * order across nodes, hold a reply, or drop a connection with replies due.
 */
import { RequestReading } from '../../src/client/requests.js';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { recordedLog } from './recorded-log.js';
import type { Connector } from '../../src/net/connector.js';
import { FileBudget } from '../../src/net/file-budget.js';
import { memorySocketPair } from '../../src/net/memory-socket.js';
import { TunnelStats } from '../../src/net/stats.js';
import { CommandPolicy } from '../../src/protocol/command-policy.js';
import { CommandTable } from '../../src/protocol/command-table.js';
import { WaitMarkers } from '../../src/protocol/wait-marker.js';
import type { SmartContext } from '../../src/smart/context.js';
import { Planner } from '../../src/smart/plan.js';
import { ScriptCache } from '../../src/smart/script-cache.js';
import { NodeTable } from '../../src/topology/node-table.js';
import type { ClusterNode, NodeTarget } from '../../src/topology/types.js';
import { SharedPool } from '../../src/upstream/shared-pool.js';
import { RECORDED_COMMAND_REPLY } from './recorded-commands.js';

/** A fake node's answer to one request: the reply bytes, 'hold' (see FakeNode.release) or 'close'. */
export type Script = (args: string[], node: FakeNode) => string | 'hold' | 'close';

/** One fake master. Each write it gets is one read here; it answers a read's requests in one write. */
export class FakeNode {
  /** Every request it was sent, in order, as its arguments. */
  readonly requests: string[][] = [];
  /** How many writes reached it (the tunnel writes a turn's requests to a node at once). */
  reads = 0;
  /** Replies held back, with their requests: once one is held, every later one waits behind it. */
  private readonly held: Array<{ end: Duplex; args: string[]; reply: string }> = [];

  constructor(
    readonly name: string,
    public script: Script,
  ) {}

  /** A new connection to this node: the tunnel's end is returned, this node answers on the other. */
  connect(): net.Socket {
    const { server, client: end } = memorySocketPair();
    let pending = Buffer.alloc(0);
    end.on('data', (chunk: Buffer) => {
      this.reads++;
      pending = Buffer.concat([pending, chunk]);
      const { requests, used } = takeRequests(pending);
      pending = pending.subarray(used);
      let out = '';
      for (const args of requests) {
        this.requests.push(args);
        const reply = this.script(args, this);
        if (reply === 'close') {
          if (out) end.write(out);
          end.destroy();
          return;
        }
        if (reply === 'hold' || this.held.length > 0) this.held.push({ end, args, reply });
        else out += reply;
      }
      if (out) end.write(out);
    });
    return server;
  }

  /** Sends the held replies in order, each as `answer` says now (the request it held is given). */
  release(answer: (args: string[]) => string): void {
    for (const h of this.held.splice(0)) h.end.write(h.reply === 'hold' ? answer(h.args) : h.reply);
  }

  get heldCount(): number {
    return this.held.length;
  }
}

/** The whole multibulk requests at the start of `buf`, and how many bytes they take. */
function takeRequests(buf: Buffer): { requests: string[][]; used: number } {
  const requests: string[][] = [];
  let at = 0;
  for (;;) {
    let pos = at;
    const line = (): string | null => {
      const end = buf.indexOf('\r\n', pos);
      if (end < 0) return null;
      const text = buf.toString('latin1', pos + 1, end);
      pos = end + 2;
      return text;
    };
    if (pos >= buf.length) break;
    if (buf[pos] !== 0x2a) throw new Error(`fake node: not a multibulk request at ${pos}`);
    const count = line();
    if (count === null) break;
    const args: string[] = [];
    for (let i = 0; i < Number(count); i++) {
      const len = pos < buf.length ? line() : null;
      if (len === null || pos + Number(len) + 2 > buf.length) return { requests, used: at };
      args.push(buf.toString('latin1', pos, pos + Number(len)));
      pos += Number(len) + 2;
    }
    if (args.length < Number(count)) break;
    requests.push(args);
    at = pos;
  }
  return { requests, used: at };
}

const SLOTS: Array<[number, number]> = [
  [0, 5460],
  [5461, 10922],
  [10923, 16383],
];

/** Three fake masters (`m1`, `m2`, `m3`, slots as redis-cli --cluster create splits them) and a context. */
export function fakeCluster(script: Script): {
  nodes: FakeNode[];
  ctx: SmartContext;
  refreshes: string[];
  log: string[];
} {
  const nodes = SLOTS.map((_, i) => new FakeNode(`m${i + 1}`, script));
  const byLabel = new Map(nodes.map((n) => [n.name, n]));
  const targetOf = (n: ClusterNode): NodeTarget => ({ host: n.ip, port: n.port, label: n.id, tlsName: n.ip });
  const table = new NodeTable({ pins: [], localHost: '127.0.0.1', targetOf });
  table.add(
    SLOTS.map((range, i) => ({
      id: `m${i + 1}`,
      ip: `127.0.0.${11 + i}`,
      port: 7001 + i,
      role: 'master',
      slots: [range],
      health: 'online',
    })),
  );
  const connector = {
    open: async (target: NodeTarget) => {
      const node = byLabel.get(target.label);
      if (!node) throw new Error(`fake connector: no node ${target.label}`);
      return { socket: node.connect(), pending: null, reads: null };
    },
    transport: { tls: false },
  } as unknown as Connector;
  const { log, lines } = recordedLog();
  const stats = new TunnelStats();
  const commands = new CommandTable(RECORDED_COMMAND_REPLY);
  const refreshes: string[] = [];
  const planner = new Planner(commands, new CommandPolicy(commands));
  const ctx: SmartContext = {
    table,
    planner,
    reading: new RequestReading(planner.policy, planner.batchNames),
    connector,
    auth: () => null,
    refresh: (reason) => {
      refreshes.push(reason);
      return Promise.resolve(true);
    },
    shared: new SharedPool({ connector, auth: () => null, stats, log }, log),
    scripts: new ScriptCache(),
    requestLimits: () => ({}),
    clientOutputLimit: 64 * 1024 * 1024,
    log,
    stats,
    localAuth: null,
    files: new FileBudget(null, () => 0, stats, log),
    isTunnelCredential: () => false,
    waitMarkers: new WaitMarkers(),
    readFrom: 'primary',
    maxReplicaLagSeconds: 10,
    replicaTurn: { next: 0 },
  };
  return { nodes, ctx, refreshes, log: lines };
}
