/**
 * FAKE cluster nodes, for replies a real Redis 7.0 will not produce on demand: IPv6 node addresses
 * (unbracketed), `?` endpoints (hostname preferred, none set) and `noaddr` lines. Plaintext RESP2
 * servers on 127.0.0.x that answer the handful of commands discovery and the tests send.
 */
import * as net from 'node:net';
import { hashSlot } from '../../src/topology/hash-slot.js';

export interface FakeNodeSpec {
  id: string;
  /** Where the fake listens (loopback). */
  listen: { host: string; port: number };
  /** What it announces. */
  ip: string;
  port: number;
  slots: [number, number];
}

export type EndpointMode = 'ip' | '?';

const bulk = (s: string): string => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const arr = (...xs: string[]): string => `*${xs.length}\r\n${xs.join('')}`;
const int = (n: number): string => `:${n}\r\n`;

export class FakeCluster {
  readonly servers: net.Server[] = [];
  /** Commands each fake node received, by node id (upper-case names and args). */
  readonly received = new Map<string, string[][]>();
  /** A node only NODES lists, flagged noaddr (its address forgotten). */
  readonly noaddrId = 'e'.repeat(40);

  constructor(
    readonly nodes: FakeNodeSpec[],
    readonly mode: EndpointMode,
    /** A node no topology reply lists; keys starting `hidden:` are redirected to it. */
    readonly hidden?: FakeNodeSpec,
  ) {}

  async start(): Promise<void> {
    for (const node of this.hidden ? [...this.nodes, this.hidden] : this.nodes) {
      this.received.set(node.id, []);
      const server = net.createServer((s) => this.serve(node, s));
      await new Promise<void>((r) => server.listen(node.listen.port, node.listen.host, r));
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }

  private endpoint(n: FakeNodeSpec): string {
    return this.mode === '?' ? '?' : n.ip;
  }

  private serve(node: FakeNodeSpec, socket: net.Socket): void {
    let buf = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const parsed = parseMultibulk(buf);
        if (!parsed) break;
        buf = buf.subarray(parsed.end);
        this.received.get(node.id)?.push(parsed.args);
        socket.write(this.reply(node, parsed.args));
      }
    });
  }

  reply(self: FakeNodeSpec, args: string[]): string {
    const [cmd, sub] = [args[0]?.toUpperCase(), args[1]?.toUpperCase()];
    if (cmd === 'PING') return '+PONG\r\n';
    // A reply no RESP version defines: for the malformed-reply test.
    if (cmd === 'GARBAGE') return '?this is not RESP\r\n';
    if (cmd === 'AUTH' || cmd === 'SELECT' || cmd === 'READONLY' || cmd === 'ASKING') return '+OK\r\n';
    if (cmd === 'CLUSTER' && sub === 'INFO')
      return bulk('cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_known_nodes:3\r\n');
    if (cmd === 'CLUSTER' && sub === 'SHARDS') return this.shards();
    if (cmd === 'CLUSTER' && sub === 'SLOTS') return this.slots();
    if (cmd === 'CLUSTER' && sub === 'NODES') return bulk(this.nodesText(self));
    if ((cmd === 'GET' || cmd === 'SET') && this.hidden && args[1]?.startsWith('hidden:')) {
      if (self.id === this.hidden.id) return bulk(`value of ${args[1]} at ${self.ip}`);
      return `-MOVED ${hashSlot(args[1])} ${this.hidden.ip}:${this.hidden.port}\r\n`;
    }
    if (cmd === 'GET' || cmd === 'SET') {
      const slot = hashSlot(args[1] ?? '');
      const owner = this.nodes.find((n) => slot >= n.slots[0] && slot <= n.slots[1]) as FakeNodeSpec;
      if (owner.id !== self.id) return `-MOVED ${slot} ${this.endpoint(owner)}:${owner.port}\r\n`;
      return cmd === 'GET' ? bulk(`value of ${args[1]} at ${self.ip}`) : '+OK\r\n';
    }
    return `-ERR unknown command '${args[0]}' (fake node)\r\n`;
  }

  private shards(): string {
    return arr(
      ...this.nodes.map((n) =>
        arr(
          bulk('slots'),
          arr(int(n.slots[0]), int(n.slots[1])),
          bulk('nodes'),
          arr(
            arr(
              ...[
                bulk('id'),
                bulk(n.id),
                bulk('port'),
                int(n.port),
                bulk('ip'),
                bulk(n.ip),
                bulk('endpoint'),
                bulk(this.endpoint(n)),
              ],
              ...[
                bulk('role'),
                bulk('master'),
                bulk('replication-offset'),
                int(0),
                bulk('health'),
                bulk('online'),
              ],
            ),
          ),
        ),
      ),
    );
  }

  private slots(): string {
    return arr(
      ...this.nodes.map((n) =>
        arr(
          int(n.slots[0]),
          int(n.slots[1]),
          arr(
            bulk(this.endpoint(n)),
            int(n.port),
            bulk(n.id),
            this.mode === '?' ? arr(bulk('ip'), bulk(n.ip)) : '*0\r\n',
          ),
        ),
      ),
    );
  }

  nodesText(self: FakeNodeSpec): string {
    const lines = this.nodes.map(
      (n) =>
        `${n.id} ${n.ip}:${n.port}@1${n.port} ${n.id === self.id ? 'myself,' : ''}master - 0 1795315372808 1 connected ${n.slots[0]}-${n.slots[1]}`,
    );
    lines.push(this.noaddrLine());
    return lines.join('\n') + '\n';
  }

  noaddrLine(): string {
    return `${this.noaddrId} :0@0 slave,noaddr ${this.nodes[0].id} 1795315716308 1795315714197 1 disconnected`;
  }
}

function parseMultibulk(buf: Buffer): { args: string[]; end: number } | null {
  if (buf.length === 0 || buf[0] !== 0x2a) return null;
  let p = buf.indexOf('\r\n');
  if (p < 0) return null;
  const count = Number(buf.toString('latin1', 1, p));
  p += 2;
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const lf = buf.indexOf('\r\n', p);
    if (lf < 0) return null;
    const n = Number(buf.toString('latin1', p + 1, lf));
    if (lf + 2 + n + 2 > buf.length) return null;
    args.push(buf.toString('latin1', lf + 2, lf + 2 + n));
    p = lf + 2 + n + 2;
  }
  return { args, end: p };
}
