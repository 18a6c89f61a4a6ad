import yargs, { type Options } from 'yargs';
import { parsePin } from '../topology/address-plan.js';
import { unbracket } from '../topology/endpoint.js';
import { type TunnelOptions, parseResolveRule, resolveOptions } from '../tunnel/options.js';
import { loadConfigFile } from './config-file.js';
import { version } from '../version.js';
import { OPTION_SPECS, optionsFromEnv } from './option-specs.js';

/** Command-line arguments → TunnelOptions. No side effects, so it can be tested. */

/** Redis' own port, for a seed given without one (as redis-cli assumes). */
const DEFAULT_SEED_PORT = 6379;

/** A usage mistake: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

interface Seed {
  tls: boolean | undefined;
  host: string;
  port: number;
  user?: string;
  password?: string;
}

/** `rediss://[user[:password]@]host[:port]` (or redis://); IPv6 hosts in brackets. */
export function parseSeedUrl(text: string): Seed {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`not a URL: ${text} (expected rediss://[user[:password]@]host:port)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(
      `unsupported scheme ${url.protocol} (use rediss:// for TLS, redis:// for plaintext)`,
    );
  }
  const host = unbracket(url.hostname);
  if (!host) throw new UsageError(`no host in ${text}`);
  return {
    tls: url.protocol === 'rediss:',
    host,
    port: url.port ? Number(url.port) : DEFAULT_SEED_PORT,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

const TUNNEL_USAGE =
  '$0 [seed] [options] [-- COMMAND [ARGS...]]\n       $0 fill [seed] --gb N [options]   (see $0 fill --help)\n       $0 cli [seed] [options] [COMMAND [ARGS...]]   (see $0 cli --help)\n\nLocal plaintext access to a TLS + AUTH Redis or Valkey Cluster: one listener per node on ' +
  'loopback; CLUSTER SLOTS/NODES/SHARDS/REPLICAS and MOVED/ASK rewritten to point at the tunnel.\n\n' +
  'seed: rediss://[user[:password]@]host:port (redis:// for plaintext), or -h/-p.\n\n' +
  'With -- COMMAND: run it once the tunnel is ready, with REDIS_URL, REDIS_HOST, REDIS_PORT and ' +
  "REDIS_CLUSTER_NODES set; stop the tunnel when it ends and exit with the command's code.";

/** A sub-command's own options and usage text (fill). */
export interface Extra {
  specs: Record<string, Options>;
  usage: string;
}

function parseArgs(argv: string[], layered: Record<string, unknown>, extra?: Extra) {
  return yargs(argv)
    .scriptName('redis-cluster-tunnel')
    .parserConfiguration({ 'populate--': true })
    .usage(extra?.usage ?? TUNNEL_USAGE)
    .options({ ...OPTION_SPECS, ...extra?.specs })
    .config(layered)
    .example(
      'REDISCLI_AUTH=secret $0 rediss://app@clustercfg.my-cache.abc123.use1.cache.amazonaws.com:6379',
      'ElastiCache, TLS + ACL user',
    )
    .example(
      '$0 -h 10.0.0.5 -p 6380 --tls --cacert ca.pem --user app',
      'seed by host and port, password from REDISCLI_AUTH',
    )
    .example(
      '$0 rediss://my-cache.redis.cache.windows.net:6380 --sni my-cache.redis.cache.windows.net',
      'Azure, one name for every node',
    )
    .epilogue('Then point any cluster client at the local seed address it prints, e.g. redis-cli -c -p 7001.')
    .help('help')
    .version('version', version())
    .alias('version', 'v')
    .strictOptions()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseSync();
}

/** Runs a parser whose errors are usage errors. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** What the command line asks of the CLI itself, beside the tunnel's options. */
export interface CliRequest {
  options: TunnelOptions;
  warnings: string[];
  /** Exec mode: the command after `--`. */
  command?: string[];
  readyFile?: string;
  statusPort?: number;
  /** A sub-command's own options, as parsed. */
  extra: Record<string, unknown>;
}

/** `--config FILE` or `--config=FILE` on the command line, read before the rest is parsed. */
function configFlag(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--config') return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  return undefined;
}

/**
 * The environment over the config file: yargs puts the command line over both, and
 * resolveOptions the defaults under all three.
 */
function layers(argv: string[], env: NodeJS.ProcessEnv, extra?: Extra): Record<string, unknown> {
  const fromEnv = usage(() => optionsFromEnv(env, extra?.specs));
  const path = configFlag(argv) ?? (fromEnv.config as string | undefined);
  const fromFile = path ? usage(() => loadConfigFile(path)) : {};
  const known = new Set([...Object.keys(OPTION_SPECS), ...Object.keys(extra?.specs ?? {})]);
  const unknown = Object.keys(fromFile).filter((k) => !known.has(k) || k === 'config');
  if (unknown.length)
    throw new UsageError(`unknown option in the config file ${path}: ${unknown.join(', ')}`);
  return { ...fromFile, ...fromEnv };
}

/** More workers than this would only fight over the cores (and over a node's maxclients). */
const MAX_WORKERS = 64;

/** The tunnel's own arguments: those before `--`. */
function words(argv: string[]): string[] {
  return argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
}

/** Whether the password was typed on the command line (where other local users can see it). */
function passwordOnCommandLine(argv: string[]): boolean {
  return words(argv).some((w) => /^(--pass(=|$)|-a)/.test(w) || /^rediss?:\/\/[^/@]*:[^/@]*@/.test(w));
}

export function optionsFrom(argv: string[], env: NodeJS.ProcessEnv, extra?: Extra): CliRequest {
  const a = parseArgs(argv, layers(argv, env, extra), extra);
  const rest = ((a['--'] as unknown[] | undefined) ?? []).map(String);
  if (argv.includes('--') && rest.length === 0) throw new UsageError('nothing to run after --');
  const warnings: string[] = [];
  const positional = a._.map(String);
  if (positional.length > 1) throw new UsageError(`one seed only, got: ${positional.join(' ')}`);
  let seed: Seed;
  const seedUrl = positional[0] ?? a.seed;
  if (seedUrl !== undefined) {
    seed = parseSeedUrl(seedUrl);
    if (a.host || a.port) throw new UsageError('give the seed as a URL or as -h/-p, not both');
  } else if (a.host) {
    seed = { tls: undefined, host: a.host, port: a.port ?? DEFAULT_SEED_PORT };
  } else {
    throw new UsageError('no seed: give rediss://host:port or -h HOST -p PORT');
  }
  if (a.workers !== undefined && !(Number.isInteger(a.workers) && a.workers >= 1 && a.workers <= MAX_WORKERS))
    throw new UsageError(`--workers ${a.workers}: a whole number from 1 to ${MAX_WORKERS}`);
  let password = a.pass ?? seed.password;
  if (a['auth-command'] !== undefined && password !== undefined) {
    throw new UsageError('--auth-command gives the password: do not give one with -a or in the URL too');
  }
  if (a['auth-command'] !== undefined) {
    password = undefined;
  } else if (password !== undefined && passwordOnCommandLine(argv)) {
    warnings.push(
      'a password on the command line is visible to other local users; prefer the REDISCLI_AUTH environment variable',
    );
  } else if (password === undefined) {
    password = env.REDISCLI_AUTH || undefined;
  }
  const options = resolveOptions({
    seed: { host: seed.host, port: seed.port },
    tls: a.tls ?? seed.tls,
    caFile: a.cacert,
    certFile: a.cert,
    keyFile: a.key,
    sni: a.sni,
    insecure: a.insecure,
    user: a.user ?? seed.user,
    password,
    bind: a.bind,
    announceHost: a['announce-host'],
    logLevel: a['log-level'],
    logFormat: a['log-format'],
    connectTimeoutMs: a['connect-timeout'],
    pins: (a.map ?? []).map((m) => usage(() => parsePin(m))),
    resolve: (a.resolve ?? []).map((r) => usage(() => parseResolveRule(r))),
    authCommand: a['auth-command'],
    authRefreshMs: a['auth-refresh'],
    refreshIntervalMs: a['refresh-interval'],
    retireAfterMs: a['retire-after'],
    mode: a.mode,
    topology: a.topology,
    readFrom: a['read-from'],
    maxReplicaLagSeconds: a['max-replica-lag'],
    hotKeys: a['hot-keys'],
    // The status page marks slots in motion: only then is each master asked at every refresh.
    slotMoves: a['status-port'] !== undefined,
    smartPort: a['smart-port'],
    pool: a.pool,
    share: a.share,
    workers: a.workers,
    clientOutputLimit: a['client-output-limit'],
    localPassword: a['local-password'],
    localUser: a['local-user'],
  });
  if (words(argv).some((w) => /^--local-password(=|$)/.test(w)))
    warnings.push(
      '--local-password on the command line is visible to other local users; prefer REDIS_CLUSTER_TUNNEL_LOCAL_PASSWORD',
    );
  if (!options.tls && (options.caFile || options.certFile || options.sni)) {
    warnings.push('--cacert/--cert/--sni given without TLS: add --tls or use rediss://');
  }
  return {
    options,
    warnings,
    ...(rest.length > 0 ? { command: rest } : {}),
    ...(a['ready-file'] !== undefined ? { readyFile: a['ready-file'] } : {}),
    ...(a['status-port'] !== undefined ? { statusPort: a['status-port'] } : {}),
    extra: Object.fromEntries(
      Object.keys(extra?.specs ?? {}).map((k) => [k, (a as Record<string, unknown>)[k]]),
    ),
  };
}
