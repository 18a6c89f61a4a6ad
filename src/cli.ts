#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { UsageError, optionsFrom } from './args.js';
import { createLogger } from './log.js';
import { readyReport } from './report.js';
import { StartupError, Tunnel } from './tunnel.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = optionsFrom(hideBin(process.argv), process.env);
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
      process.stderr.write(`redis-cluster-tunnel: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  process.stdout.write(readyReport(tunnel) + '\n');
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

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `redis-cluster-tunnel: unexpected error: ${e instanceof Error ? e.stack : String(e)}\n`,
    );
    process.exitCode = 1;
  },
);
