import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { parsePin } from '../topology/address-plan.js';
import { unbracket } from '../topology/endpoint.js';
import { DEFAULTS, type TunnelOptions, parseResolveRule, resolveOptions } from '../tunnel/options.js';

/** Command-line arguments → TunnelOptions. No side effects, so it can be tested. */

/** The package version, from package.json (dist/src/ or src/, whichever this file runs from). */
function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return (
        JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name: string; version: string }
      ).version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

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

function parseArgs(argv: string[]) {
  return yargs(argv)
    .scriptName('redis-cluster-tunnel')
    .usage(
      '$0 [seed]\n\nLocal plaintext access to a TLS + AUTH Redis or Valkey Cluster: one listener per node on ' +
        'loopback; CLUSTER SLOTS/NODES/SHARDS/REPLICAS and MOVED/ASK rewritten to point at the tunnel.\n\n' +
        'seed: rediss://[user[:password]@]host:port (redis:// for plaintext), or -h/-p.',
    )
    .option('host', { alias: 'h', type: 'string', describe: 'seed host (instead of a URL)' })
    .option('port', { alias: 'p', type: 'number', describe: 'seed port', default: undefined })
    .option('tls', { type: 'boolean', describe: 'speak TLS to the cluster (implied by rediss://)' })
    .option('cacert', { type: 'string', describe: 'CA certificate file (PEM) to verify nodes with' })
    .option('cert', { type: 'string', describe: 'client certificate file (PEM), for mutual TLS' })
    .option('key', { type: 'string', describe: 'client private key file (PEM), for mutual TLS' })
    .option('sni', { type: 'string', describe: 'TLS name to send and verify on every node' })
    .option('insecure', { type: 'boolean', describe: 'do not verify node certificates' })
    .option('user', { type: 'string', describe: 'ACL user name' })
    .option('pass', {
      alias: 'a',
      type: 'string',
      describe: 'password (prefer the REDISCLI_AUTH environment variable)',
    })
    .option('auth-command', {
      type: 'string',
      describe:
        'command that prints the password or token, re-run every --auth-refresh ms (IAM/Entra tokens)',
    })
    .option('auth-refresh', {
      type: 'number',
      defaultDescription: String(DEFAULTS.authRefreshMs),
      describe: 'ms between --auth-command runs',
    })
    .option('bind', {
      type: 'string',
      defaultDescription: DEFAULTS.bind,
      describe: 'local address to listen on',
    })
    .option('announce-host', {
      type: 'string',
      describe: 'host written into rewritten replies (default: the bind address)',
    })
    .option('map', {
      type: 'string',
      array: true,
      describe:
        'pin a local port: NODE=LOCALPORT, NODE being a node id (or 8+ char prefix), host:port or hostname:port; repeatable',
    })
    .option('resolve', {
      type: 'string',
      array: true,
      describe: 'dial ADDR for HOST:PORT, like curl --resolve (PORT may be *); repeatable',
    })
    .option('refresh-interval', {
      type: 'number',
      defaultDescription: String(DEFAULTS.refreshIntervalMs),
      describe: 'ms between topology refreshes (0: only on demand)',
    })
    .option('retire-after', {
      type: 'number',
      defaultDescription: String(DEFAULTS.retireAfterMs),
      describe: 'ms a node that left keeps its listener',
    })
    .option('connect-timeout', {
      type: 'number',
      defaultDescription: String(DEFAULTS.connectTimeoutMs),
      describe: 'ms to connect, handshake and authenticate',
    })
    .option('mode', {
      alias: 'tunnel-mode',
      choices: ['pinned', 'smart', 'both'] as const,
      defaultDescription: DEFAULTS.mode,
      describe: 'pinned: a listener per node (cluster clients); smart: one port for the whole cluster',
    })
    .option('smart-port', {
      type: 'number',
      defaultDescription: String(DEFAULTS.smartPort),
      describe: 'the smart mode port',
    })
    .option('log-level', {
      choices: ['error', 'warn', 'info', 'debug'] as const,
      defaultDescription: DEFAULTS.logLevel,
    })
    .option('log-format', { choices: ['text', 'json'] as const, defaultDescription: DEFAULTS.logFormat })
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

export function optionsFrom(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { options: TunnelOptions; warnings: string[] } {
  const a = parseArgs(argv);
  const warnings: string[] = [];
  const positional = a._.map(String);
  if (positional.length > 1) throw new UsageError(`one seed only, got: ${positional.join(' ')}`);
  let seed: Seed;
  if (positional.length === 1) {
    seed = parseSeedUrl(positional[0]);
    if (a.host || a.port) throw new UsageError('give the seed as a URL or as -h/-p, not both');
  } else if (a.host) {
    seed = { tls: undefined, host: a.host, port: a.port ?? DEFAULT_SEED_PORT };
  } else {
    throw new UsageError('no seed: give rediss://host:port or -h HOST -p PORT');
  }
  let password = a.pass ?? seed.password;
  if (a['auth-command'] !== undefined && password !== undefined) {
    throw new UsageError('--auth-command gives the password: do not give one with -a or in the URL too');
  }
  if (a['auth-command'] !== undefined) {
    password = undefined;
  } else if (password !== undefined) {
    warnings.push(
      'a password on the command line is visible to other local users; prefer the REDISCLI_AUTH environment variable',
    );
  } else {
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
    smartPort: a['smart-port'],
  });
  if (!options.tls && (options.caFile || options.certFile || options.sni)) {
    warnings.push('--cacert/--cert/--sni given without TLS: add --tls or use rediss://');
  }
  return { options, warnings };
}
