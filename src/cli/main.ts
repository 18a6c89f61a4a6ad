import { hideBin } from 'yargs/helpers';
import { createLogger } from '../log.js';
import { StartupError } from '../tunnel/errors.js';
import { announceHostOf } from '../tunnel/options.js';
import { Tunnel } from '../tunnel/tunnel.js';
import { UsageError, optionsFrom } from './args.js';
import { readyReport } from './report.js';

/** The command: parse, start, print the table, run until SIGINT/SIGTERM. Resolves with the exit code. */
export async function main(argv = hideBin(process.argv), env = process.env): Promise<number> {
  let parsed;
  try {
    parsed = optionsFrom(argv, env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`redis-cluster-tunnel: ${e.message}\nTry --help.\n`);
      return 2;
    }
    throw e;
  }
  const { options, warnings } = parsed;
  const log = createLogger(options.logLevel, options.logFormat);
  for (const w of warnings) log.warn(w);
  const tunnel = new Tunnel(options, log);
  try {
    await tunnel.start();
  } catch (e) {
    if (e instanceof StartupError) {
      log.debug(`startup failed (${e.code})`);
      process.stderr.write(`redis-cluster-tunnel: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const smart =
    options.mode === 'pinned'
      ? undefined
      : { host: announceHostOf(options), port: options.smartPort, only: options.mode === 'smart' };
  process.stdout.write(readyReport(tunnel.table, smart) + '\n');
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info(`${signal}: closing ${tunnel.connectionCount} connections`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await tunnel.stop();
  log.info('stopped');
  return 0;
}
