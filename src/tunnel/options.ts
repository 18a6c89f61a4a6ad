import { DEFAULT_MAX_FRAME_BYTES } from '../resp/errors.js';
import type { PortPin } from '../topology/address-plan.js';
import { unbracket } from '../topology/endpoint.js';

/** `--resolve HOST:PORT:ADDR`: dial ADDR whenever HOST:PORT is to be dialled (PORT may be `*`). */
export interface ResolveRule {
  host: string;
  port: number | '*';
  addr: string;
}

/**
 * Everything the tunnel can be told. The CLI, the demo and tests give some of it to
 * `resolveOptions`, which fills in the rest from DEFAULTS: the one place defaults are defined.
 */
export interface TunnelOptions {
  /** The node discovery starts from. */
  seed: { host: string; port: number };
  /** Speak TLS to the cluster. @default false (true for rediss:// URLs and with --tls) */
  tls: boolean;
  /** PEM file of CA certificates to trust instead of the system store. */
  caFile?: string;
  /** Client certificate and key (PEM) for clusters that require mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /** TLS name to send (SNI) and verify on every node, overriding the per-node rule. */
  sni?: string;
  /** Skip certificate verification (warned about at startup). @default false */
  insecure: boolean;
  /** ACL user; with no user, AUTH uses the password alone (the `default` user). */
  user?: string;
  /** Password or token. Never logged. */
  password?: string;
  /** Command whose output is the password, re-run every authRefreshMs (short-lived tokens). */
  authCommand?: string;
  /** How often --auth-command runs again. @default 600000 (10 min, inside a 15 min IAM token) */
  authRefreshMs: number;
  /** Address the local listeners bind to. @default '127.0.0.1' */
  bind: string;
  /**
   * Host written into rewritten replies. @default the bind address, or 127.0.0.1 when binding
   * to a wildcard address
   */
  announceHost?: string;
  /** @default 'info' */
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** @default 'text' */
  logFormat: 'text' | 'json';
  /** Time allowed to connect, finish TLS and authenticate to a node. @default 10000 */
  connectTimeoutMs: number;
  /** Largest RESP frame accepted in either direction. @default 1 GiB (the protocol layer's cap) */
  maxFrameBytes: number;
  /** Local ports pinned per node (--map). @default [] */
  pins: PortPin[];
  /** Names (or addresses) to dial elsewhere, like curl's --resolve. @default [] */
  resolve: ResolveRule[];
  /** How often the topology is re-read; 0 turns periodic refresh off. @default 10000 */
  refreshIntervalMs: number;
  /** How long a node that left the topology keeps its listener. @default 60000 */
  retireAfterMs: number;
  /** TLS sessions kept for resumption, per tunnel. @default 1024 */
  tlsSessionLimit: number;
  /** How long stop() lets connections finish before destroying them. @default 5000 */
  stopGraceMs: number;
  /**
   * pinned: a listener per node, for cluster clients; smart: one port for the whole cluster, for
   * programs that do not speak Cluster; both. @default 'pinned'
   */
  mode: 'pinned' | 'smart' | 'both';
  /**
   * What the seed is: a cluster node, a standalone server (a primary, a replica, or one server
   * behind a proxy), or found out at startup. @default 'auto'
   */
  topology: 'auto' | 'cluster' | 'standalone';
  /**
   * Smart mode: where read-only commands go. primary; replica (a replica of the key's master
   * whenever one is usable); prefer-replica (the same, except that a client's read follows its
   * own writes in flight to the primary). @default 'primary'
   */
  readFrom: 'primary' | 'replica' | 'prefer-replica';
  /** A replica further behind than this many seconds is not read from. @default 10 */
  maxReplicaLagSeconds: number;
  /** Smart mode samples the keys it routes for the status page's hot keys. @default true */
  hotKeys: boolean;
  /**
   * Each refresh also asks every master which slots it is migrating or importing (CLUSTER NODES),
   * for the status page; the CLI turns it on with --status-port. @default false
   */
  slotMoves: boolean;
  /** The smart mode port. @default 6379 */
  smartPort: number;
  /**
   * Warm authenticated connections kept per node for pinned mode's new clients (0: none).
   * @default 2
   */
  pool: number;
  /**
   * Pinned mode: plain requests of every client of a node take one shared, pipelined connection to
   * it, until a client sends a request that needs a connection of its own (see
   * OWN_CONNECTION_COMMANDS). false: every client opens its own at once. @default true
   */
  share: boolean;
  /**
   * Processes that serve clients. 1: this process does everything; N > 1: N workers serve the
   * clients the primary hands them, and the primary keeps the topology and the listeners.
   * @default 1 (bench/README.md has the measurements behind it)
   */
  workers: number;
  /**
   * Reply bytes a client may leave unread in the tunnel; past it the client is closed (0: no
   * limit). @default 67108864 (64 MiB)
   */
  clientOutputLimit: number;
  /**
   * Smart mode without its listener: clients connect in this process (Tunnel.connectInProcess),
   * as the `cli` command does. Not a command-line option. @default false
   */
  inProcess: boolean;
  /** Clients must AUTH with this before anything else (shared machines). Never logged. */
  localPassword?: string;
  /** With localPassword: the user name AUTH must give (any, when unset). */
  localUser?: string;
}

/** The options a caller may leave out. */
type Defaulted = Exclude<
  keyof TunnelOptions,
  | 'seed'
  | 'caFile'
  | 'certFile'
  | 'keyFile'
  | 'sni'
  | 'user'
  | 'password'
  | 'authCommand'
  | 'announceHost'
  | 'localPassword'
  | 'localUser'
>;

export const DEFAULTS: Readonly<Pick<TunnelOptions, Defaulted>> = Object.freeze({
  tls: false,
  insecure: false,
  bind: '127.0.0.1',
  logLevel: 'info',
  logFormat: 'text',
  connectTimeoutMs: 10_000,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  pins: [],
  resolve: [],
  refreshIntervalMs: 10_000,
  retireAfterMs: 60_000,
  authRefreshMs: 600_000,
  tlsSessionLimit: 1024,
  stopGraceMs: 5000,
  mode: 'pinned',
  topology: 'auto',
  readFrom: 'primary',
  maxReplicaLagSeconds: 10,
  hotKeys: true,
  slotMoves: false,
  smartPort: 6379,
  pool: 2,
  share: true,
  workers: 1,
  clientOutputLimit: 64 * 1024 * 1024,
  inProcess: false,
});

/** What a caller gives: the seed, and any options it sets (undefined means "the default"). */
export type OptionsInput = Pick<TunnelOptions, 'seed'> & {
  [K in keyof TunnelOptions]?: TunnelOptions[K] | undefined;
};

/** Fills in every option the input leaves out (or leaves undefined) from DEFAULTS. */
export function resolveOptions(input: OptionsInput): TunnelOptions {
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const [key, value] of Object.entries(input))
    if (value !== undefined || !(key in DEFAULTS)) out[key] = value;
  return out as unknown as TunnelOptions;
}

/** Parses `HOST:PORT:ADDR` (HOST and ADDR may be bracketed IPv6; PORT may be `*`). */
export function parseResolveRule(text: string): ResolveRule {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5}|\*):(\[[^\]]+\]|\S+)$/.exec(text);
  if (!m || (m[2] !== '*' && Number(m[2]) > 65535))
    throw new Error(`--resolve ${text}: expected HOST:PORT:ADDR, e.g. node1.example:6379:10.0.0.5`);
  return {
    host: unbracket(m[1]).toLowerCase(),
    port: m[2] === '*' ? '*' : Number(m[2]),
    addr: unbracket(m[3]),
  };
}

/** The address to dial for host:port after --resolve rules (undefined when none matches). */
export function resolveDial(rules: ResolveRule[], host: string, port: number): string | undefined {
  const h = host.toLowerCase();
  return rules.find((r) => r.host === h && (r.port === '*' || r.port === port))?.addr;
}

/** The host clients are told to use: the bind address unless it is a wildcard. */
export function announceHostOf(o: Pick<TunnelOptions, 'bind' | 'announceHost'>): string {
  if (o.announceHost) return o.announceHost;
  if (o.bind === '0.0.0.0' || o.bind === '') return '127.0.0.1';
  if (o.bind === '::') return '::1';
  return o.bind;
}

/** True for loopback bind addresses (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** What a user should hear about before the tunnel starts: settings that weaken security. */
export function riskWarnings(o: TunnelOptions): string[] {
  const out: string[] = [];
  if (o.insecure && o.tls)
    out.push('--insecure: node certificates are not verified; anyone on the path can read the traffic');
  if (!isLoopback(o.bind))
    out.push(
      `listening on ${o.bind}, not loopback: anyone who reaches these ports uses the tunnel's credentials` +
        (o.localPassword ? ' (if they have the --local-password)' : ''),
    );
  return out;
}
