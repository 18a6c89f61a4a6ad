/**
 * How a cluster's nodes run: as this machine's redis-server processes, or as Docker containers
 * (docker.ts). Either way a node is known by the PID its redis-server has on this host, and is
 * stopped by that PID, only after checking it is ours (its working directory is the node's).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type NodeRunner, dockerRunner } from './docker.js';
import { sleep } from './wait.js';

/** Nodes as local processes of this machine's redis-server. */
export const PROCESSES: NodeRunner = { kind: 'process', start: async (dir) => spawnNode(dir) };

/** The runner a cluster started elsewhere used (a test worker restarting a node). */
export function attachedRunner(kind: string): NodeRunner {
  if (!kind.startsWith('docker:')) return PROCESSES;
  let runner: Promise<NodeRunner> | null = null;
  return {
    kind,
    start: async (dir, certsDir) => {
      runner ??= dockerRunner('', kind.slice('docker:'.length), () => undefined);
      return (await runner).start(dir, certsDir);
    },
  };
}

function spawnNode(dir: string): number {
  const log = openSync(join(dir, 'redis.log'), 'a');
  const child: ChildProcess = spawn('redis-server', [join(dir, 'redis.conf')], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new Error(`redis-server did not start in ${dir}`);
  return child.pid;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `pid` is a process whose working directory is `dir`: ours, not a reused PID. */
function isOurs(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dir;
  } catch {
    return false;
  }
}

export async function stopPid(pid: number, dir: string, signal: NodeJS.Signals): Promise<void> {
  if (!pid || !isOurs(pid, dir)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + 10_000;
  while (processAlive(pid) && isOurs(pid, dir) && Date.now() < deadline) await sleep(50);
  if (processAlive(pid) && isOurs(pid, dir)) process.kill(pid, 'SIGKILL');
}

/** Stops processes left by an earlier run of the same cluster folder (only if they are ours). */
export async function stopLeftovers(dir: string): Promise<void> {
  const file = join(dir, 'pids.json');
  if (!existsSync(file)) return;
  const entries = JSON.parse(readFileSync(file, 'utf8')) as Array<{ dir: string; pid: number }>;
  await Promise.all(entries.map((e) => stopPid(e.pid, e.dir, 'SIGTERM')));
}

/** How startCluster runs the nodes: this machine's processes (default), or Docker containers. */
export interface RunnerChoice {
  docker?: boolean;
  /** With docker: the image to use (pulled when missing); default: built from the local redis-server. */
  image?: string;
}

/** A script's words that are neither --docker/--image nor the image named after --image. */
export function positionals(argv: string[]): string[] {
  const image = argv.indexOf('--image');
  return argv.filter((a, i) => !a.startsWith('--') && (image < 0 || i !== image + 1));
}

/** --docker and --image on a script's command line, or CLUSTER_DOCKER=1 / CLUSTER_IMAGE (the tests). */
export function runnerChoice(argv: string[] = [], env: NodeJS.ProcessEnv = process.env): RunnerChoice {
  const at = argv.indexOf('--image');
  const image = at >= 0 ? argv[at + 1] : env.CLUSTER_IMAGE || undefined;
  return { docker: argv.includes('--docker') || env.CLUSTER_DOCKER === '1' || image !== undefined, image };
}
