import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Logger } from '../log.js';

/** A command run inside the tunnel (exec mode). */
export interface Child {
  /** The exit code to leave with: the child's own, or 128 + the signal that ended it. */
  exit: Promise<number>;
  /** Passes a signal the tunnel received on to the child. */
  forward(signal: NodeJS.Signals): void;
}

/**
 * Runs `command` with the tunnel's stdin, stdout and stderr (so an interactive redis-cli works)
 * and `extraEnv` added to the environment. A command that cannot be started exits 127, as a shell
 * reports it.
 */
export function runChild(command: string[], extraEnv: Record<string, string>, log: Logger): Child {
  const [file, ...args] = command;
  const child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  const exit = new Promise<number>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      process.stderr.write(`redis-cluster-tunnel: cannot run ${file}: ${e.message}\n`);
      resolve(e.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      if (signal) log.info(`${file} was ended by ${signal}`);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
  return {
    exit,
    forward(signal) {
      // Ctrl-C in a terminal reaches the whole foreground process group, the child included:
      // passing SIGINT on again would make it two. Anything else is the tunnel's alone to pass on.
      if (signal === 'SIGINT' && process.stdin.isTTY) return;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
