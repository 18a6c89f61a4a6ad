import type { Options } from 'yargs';
import { DEFAULTS } from '../tunnel/options.js';

/**
 * Every option, once: yargs builds the flags from it, and the environment variables
 * (REDIS_CLUSTER_TUNNEL_<NAME>) and the config file's keys use the same names. Defaults are shown
 * from DEFAULTS and applied by resolveOptions, never here.
 */
export const OPTION_SPECS = {
  seed: {
    type: 'string',
    describe: 'seed URL, as the positional argument (for config files and the environment)',
  },
  host: { alias: 'h', type: 'string', describe: 'seed host (instead of a URL)' },
  port: { alias: 'p', type: 'number', describe: 'seed port' },
  tls: { type: 'boolean', describe: 'speak TLS to the cluster (implied by rediss://)' },
  cacert: { type: 'string', describe: 'CA certificate file (PEM) to verify nodes with' },
  cert: { type: 'string', describe: 'client certificate file (PEM), for mutual TLS' },
  key: { type: 'string', describe: 'client private key file (PEM), for mutual TLS' },
  sni: { type: 'string', describe: 'TLS name to send and verify on every node' },
  insecure: { type: 'boolean', describe: 'do not verify node certificates' },
  user: { type: 'string', describe: 'ACL user name' },
  pass: { alias: 'a', type: 'string', describe: 'password (prefer the REDISCLI_AUTH environment variable)' },
  'auth-command': {
    type: 'string',
    describe: 'command that prints the password or token, re-run every --auth-refresh ms (IAM/Entra tokens)',
  },
  'auth-refresh': {
    type: 'number',
    defaultDescription: String(DEFAULTS.authRefreshMs),
    describe: 'ms between --auth-command runs',
  },
  bind: { type: 'string', defaultDescription: DEFAULTS.bind, describe: 'local address to listen on' },
  'announce-host': {
    type: 'string',
    describe: 'host written into rewritten replies (default: the bind address)',
  },
  map: {
    type: 'string',
    array: true,
    describe:
      'pin a local port: NODE=LOCALPORT, NODE being a node id (or 8+ char prefix), host:port or hostname:port; repeatable',
  },
  resolve: {
    type: 'string',
    array: true,
    describe: 'dial ADDR for HOST:PORT, like curl --resolve (PORT may be *); repeatable',
  },
  'refresh-interval': {
    type: 'number',
    defaultDescription: String(DEFAULTS.refreshIntervalMs),
    describe: 'ms between topology refreshes (0: only on demand)',
  },
  'retire-after': {
    type: 'number',
    defaultDescription: String(DEFAULTS.retireAfterMs),
    describe: 'ms a node that left keeps its listener',
  },
  'connect-timeout': {
    type: 'number',
    defaultDescription: String(DEFAULTS.connectTimeoutMs),
    describe: 'ms to connect, handshake and authenticate',
  },
  mode: {
    alias: 'tunnel-mode',
    choices: ['pinned', 'smart', 'both'] as const,
    defaultDescription: DEFAULTS.mode,
    describe: 'pinned: a listener per node (cluster clients); smart: one port for the whole cluster',
  },
  topology: {
    choices: ['auto', 'cluster', 'standalone'] as const,
    defaultDescription: DEFAULTS.topology,
    describe:
      'what the seed is: a cluster node, a standalone primary or replica (or one server behind a proxy); auto finds out',
  },
  'read-from': {
    choices: ['primary', 'replica', 'prefer-replica'] as const,
    defaultDescription: DEFAULTS.readFrom,
    describe:
      "smart mode: where read-only commands go (replica: a replica of the key's master while one is usable, else the primary; prefer-replica: the same, but a client's read follows its own writes in flight)",
  },
  'max-replica-lag': {
    type: 'number',
    defaultDescription: String(DEFAULTS.maxReplicaLagSeconds),
    describe: 'seconds a replica may be behind its master and still be read from',
  },
  'hot-keys': {
    type: 'boolean',
    defaultDescription: String(DEFAULTS.hotKeys),
    describe: "smart mode: sample one routed key in 8 for the status page's hot keys (--no-hot-keys: off)",
  },
  pool: {
    type: 'number',
    defaultDescription: String(DEFAULTS.pool),
    describe: 'warm authenticated connections kept per node, so a new client skips the handshake (0: none)',
  },
  'client-output-limit': {
    type: 'number',
    defaultDescription: String(DEFAULTS.clientOutputLimit),
    describe:
      'bytes of replies a client may leave unread in the tunnel before it is closed, as a node closes one past its output buffer limit (0: no limit)',
  },
  share: {
    type: 'boolean',
    defaultDescription: String(DEFAULTS.share),
    describe:
      "pinned mode: clients' plain requests share one pipelined connection per node; --no-share gives every client its own",
  },
  workers: {
    type: 'number',
    defaultDescription: String(DEFAULTS.workers),
    describe:
      'processes serving clients (N > 1: the primary keeps the topology and hands each client to a worker)',
  },
  'smart-port': {
    type: 'number',
    defaultDescription: String(DEFAULTS.smartPort),
    describe: 'the smart mode port',
  },
  'log-level': {
    choices: ['error', 'warn', 'info', 'debug'] as const,
    defaultDescription: DEFAULTS.logLevel,
  },
  'log-format': { choices: ['text', 'json'] as const, defaultDescription: DEFAULTS.logFormat },
  'ready-file': {
    type: 'string',
    describe: 'write this JSON file (atomically) once every listener is up: nodes, seed and smart port',
  },
  'local-password': {
    type: 'string',
    describe:
      'clients must AUTH with this password first (shared machines); prefer REDIS_CLUSTER_TUNNEL_LOCAL_PASSWORD',
  },
  'local-user': {
    type: 'string',
    describe: 'with --local-password: the user name AUTH must give (default: any)',
  },
  'status-port': {
    type: 'number',
    describe: 'serve /healthz, /status (JSON) and /metrics (Prometheus) over HTTP on the bind address',
  },
  config: {
    type: 'string',
    describe: 'JSON or YAML file of options, by these names (flags > environment > file > defaults)',
  },
} as const satisfies Record<string, Options>;

export type OptionName = keyof typeof OPTION_SPECS;

/** REDIS_CLUSTER_TUNNEL_SMART_PORT for smart-port. */
export function envName(option: string): string {
  return `REDIS_CLUSTER_TUNNEL_${option.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * The options set in the environment, typed as their flags are: numbers and booleans parsed,
 * repeatable options split on commas or newlines. A value that does not parse is a usage error.
 */
export function optionsFromEnv(
  env: NodeJS.ProcessEnv,
  extra: Record<string, Options> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries({ ...OPTION_SPECS, ...extra }) as Array<[string, Options]>) {
    const raw = env[envName(name)];
    if (raw === undefined || raw === '') continue;
    if (spec.array)
      out[name] = raw
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter(Boolean);
    else if (spec.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new Error(`${envName(name)}=${raw} is not a number`);
      out[name] = n;
    } else if (spec.type === 'boolean') {
      if (!/^(1|0|true|false|yes|no)$/i.test(raw))
        throw new Error(`${envName(name)}=${raw} is not true or false`);
      out[name] = /^(1|true|yes)$/i.test(raw);
    } else out[name] = raw;
  }
  return out;
}
