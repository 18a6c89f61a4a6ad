import type { Options } from 'yargs';
import { FILL_DEFAULTS, type FillOptions, fill } from '../fill/fill.js';
import { fillSummary, progressView } from '../fill/progress.js';
import { createLogger, describeError } from '../log.js';
import { StartupError } from '../tunnel/errors.js';
import { type Extra, UsageError, optionsFrom } from './args.js';

/** fill's own options, beside the seed and TLS options every command takes. */
const FILL_SPECS = {
  gb: { type: 'number', describe: 'GiB of values to write, spread over every slot (required)' },
  flush: { type: 'boolean', describe: 'FLUSHALL every master first' },
  serial: { type: 'boolean', describe: 'fill one master at a time instead of all at once' },
  connections: {
    type: 'number',
    defaultDescription: String(FILL_DEFAULTS.connections),
    describe: 'connections per master',
  },
  'value-size': {
    type: 'number',
    defaultDescription: String(FILL_DEFAULTS.valueSize),
    describe: 'bytes per value',
  },
  'key-prefix': {
    type: 'string',
    defaultDescription: FILL_DEFAULTS.keyPrefix,
    describe: 'prefix of every key',
  },
  pipeline: {
    type: 'number',
    defaultDescription: String(FILL_DEFAULTS.pipeline),
    describe: 'SETs per pipelined batch',
  },
} as const satisfies Record<string, Options>;

const FILL: Extra = {
  specs: FILL_SPECS,
  usage:
    '$0 fill [seed] --gb N [--flush] [--serial] [--connections N] [--value-size BYTES] [--key-prefix P]\n\n' +
    'Fills the cluster with random data over every slot, straight to every master over TLS + AUTH, in ' +
    'pipelined batches; a progress bar on a terminal, plain lines otherwise; a summary per master at the end.',
};

function positive(name: string, value: unknown, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number`);
  return n;
}

/** `redis-cluster-tunnel fill ...`: resolves with the exit code. */
export async function fillCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let request;
  let f: FillOptions;
  try {
    request = optionsFrom(argv, env, FILL);
    const x = request.extra;
    if (x.gb === undefined) throw new UsageError('fill needs --gb N (GiB of values to write)');
    f = {
      gb: positive('gb', x.gb, 0),
      flush: Boolean(x.flush),
      serial: Boolean(x.serial),
      connections: Math.round(positive('connections', x.connections, FILL_DEFAULTS.connections)),
      valueSize: Math.round(positive('value-size', x['value-size'], FILL_DEFAULTS.valueSize)),
      keyPrefix: (x['key-prefix'] as string | undefined) ?? FILL_DEFAULTS.keyPrefix,
      pipeline: Math.round(positive('pipeline', x.pipeline, FILL_DEFAULTS.pipeline)),
    };
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`redis-cluster-tunnel fill: ${e.message}\nTry fill --help.\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger(request.options.logLevel, request.options.logFormat);
  for (const w of request.warnings) log.warn(w);
  const view = progressView(process.stderr);
  try {
    const report = await fill(request.options, f, view.update, log);
    view.stop();
    process.stdout.write(fillSummary(report) + '\n');
    return 0;
  } catch (e) {
    view.stop();
    const why = e instanceof StartupError ? e.message : describeError(e);
    process.stderr.write(`redis-cluster-tunnel fill: ${why}\n`);
    return 1;
  }
}
