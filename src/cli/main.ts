import { constants } from 'node:os';
import { hideBin } from 'yargs/helpers';
import { createLogger, describeError } from '../log.js';
import { StartupError } from '../tunnel/errors.js';
import { announceHostOf } from '../tunnel/options.js';
import { Tunnel } from '../tunnel/tunnel.js';
import { UsageError, optionsFrom } from './args.js';
import { runChild } from './exec.js';
import { fillCommand } from './fill-command.js';
import { shellCommand } from './shell-command.js';
import { childEnvironment, readyState, removeReadyFile, writeReadyFile } from './ready.js';
import { readyReport } from './report.js';
import { StatusServer } from '../status/server.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The command: parse, start, print the table, then either run until a signal, or (exec mode) run
 * the command and leave with its exit code. Resolves with the exit code.
 */
export async function main(argv = hideBin(process.argv), env = process.env): Promise<number> {
  if (argv[0] === 'fill') return fillCommand(argv.slice(1), env);
  if (argv[0] === 'cli') return shellCommand(argv.slice(1), env);
  let request;
  try {
    request = optionsFrom(argv, env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`redis-cluster-tunnel: ${e.message}\nTry --help.\n`);
      return 2;
    }
    throw e;
  }
  const { options, warnings, command, readyFile, statusPort } = request;
  const log = createLogger(options.logLevel, options.logFormat);
  for (const w of warnings) log.warn(w);
  const signals = catchSignals();
  const tunnel = new Tunnel(options, log);
  const status =
    statusPort === undefined ? null : new StatusServer(tunnel, log.child({ component: 'status' }));
  try {
    // Up before the tunnel, so a probe gets 503 while it starts rather than no answer.
    await status?.listen(options.bind, statusPort as number).catch((e: unknown) => {
      throw new StartupError(
        'listen',
        `cannot listen on ${options.bind}:${statusPort} for the status page: ${describeError(e)}`,
      );
    });
    await tunnel.start();
  } catch (e) {
    signals.close();
    await status?.close();
    if (e instanceof StartupError) {
      log.debug(`startup failed (${e.code})`);
      process.stderr.write(`redis-cluster-tunnel: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const smartAt = { host: announceHostOf(options), port: options.smartPort };
  const smart = options.mode === 'pinned' ? undefined : { ...smartAt, only: options.mode === 'smart' };
  const state = () => readyState(tunnel.table, options.mode, options.mode === 'pinned' ? null : smartAt);
  let unwatch = (): void => {};
  if (readyFile) {
    try {
      unwatch = keepReadyFile(readyFile, state, tunnel, log);
    } catch (e) {
      // A job waiting for the file would wait for ever: better not to start at all.
      process.stderr.write(
        `redis-cluster-tunnel: cannot write the ready file ${readyFile}: ${describeError(e)}\n`,
      );
      signals.close();
      await tunnel.stop();
      await status?.close();
      return 1;
    }
  }
  // In exec mode stdout is the command's: the table goes to stderr, out of its output.
  (command ? process.stderr : process.stdout).write(readyReport(tunnel.table, smart) + '\n');

  let code = 0;
  if (command && !signals.received) {
    const local = { password: options.localPassword, user: options.localUser };
    const child = runChild(command, childEnvironment(state(), local), log);
    signals.onSignal = (s) => child.forward(s);
    code = await child.exit;
    log.debug(`${command[0]} exited (${code}); stopping`);
  } else if (command && signals.received) {
    // Stopped before the command could start: leave as a command ended by that signal would.
    code = 128 + constants.signals[signals.received as NodeJS.Signals];
  } else if (!signals.received) {
    await new Promise<void>((resolve) => {
      signals.onSignal = (signal) => {
        log.info(`${signal}: closing ${tunnel.connectionCount} connections`);
        resolve();
      };
    });
  }
  signals.close();
  unwatch();
  await tunnel.stop();
  await status?.close();
  log.info('stopped');
  return code;
}

/**
 * Catches SIGINT, SIGTERM and SIGHUP from the start: one that comes while the tunnel starts is
 * kept (the tunnel then stops as soon as it is up) instead of killing the process half-started.
 */
function catchSignals(): { received: string | null; onSignal: (s: NodeJS.Signals) => void; close(): void } {
  const state = {
    received: null as string | null,
    onSignal: (s: NodeJS.Signals): void => void (state.received = s),
    close: () => {
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
  const handler = (s: NodeJS.Signals): void => state.onSignal(s);
  for (const s of SIGNALS) process.on(s, handler);
  return state;
}

/**
 * Writes the ready file now (throwing if it cannot), and again whenever the table changes;
 * returns the cleanup.
 */
function keepReadyFile(
  path: string,
  state: () => ReturnType<typeof readyState>,
  tunnel: Tunnel,
  log: ReturnType<typeof createLogger>,
): () => void {
  const write = (): void => {
    try {
      writeReadyFile(path, state());
    } catch (e) {
      log.warn(`cannot write the ready file ${path}: ${describeError(e)}`);
    }
  };
  writeReadyFile(path, state());
  const unsubscribe = tunnel.table.subscribe(write);
  return () => {
    unsubscribe();
    removeReadyFile(path);
  };
}
