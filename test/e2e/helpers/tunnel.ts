import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  type ClusterDescription,
  type ClusterSpec,
  type RunningCluster,
  startCluster,
} from '../../../scripts/lib/cluster.js';

export const CLI = resolve(__dirname, '../../../dist/src/cli.js');
const run = promisify(execFile);

export interface RunningTunnel {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop: () => Promise<number | null>;
}

/** Arguments that point the tunnel at a project cluster's first node with its CA. */
export function seedArgs(c: ClusterDescription, node = 0): string[] {
  return [`rediss://${c.user}@${c.nodes[node].ip}:${c.nodes[node].port}`, '--cacert', c.caCert];
}

/**
 * `--auth-command` printing `password` from a 0600 file (as a token helper would), re-run every
 * `refreshMs`: the tunnel re-authenticates with the same credential each time.
 */
export function authCommandArgs(password: string, refreshMs: number): string[] {
  const secret = join(mkdtempSync(join(tmpdir(), 'rct-secret-')), 'secret');
  writeFileSync(secret, password, { mode: 0o600 });
  return ['--auth-command', `cat ${secret}`, '--auth-refresh', String(refreshMs)];
}

/** Starts the real CLI (the built dist/src/cli.js) and waits for its ready line. */
export async function startTunnel(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
  /** A command the tunnel runs under, e.g. ['prlimit', '--nofile=256:256']. */
  under: string[] = [],
): Promise<RunningTunnel> {
  const [command, ...before] = [...under, process.execPath];
  const proc = spawn(command, [...before, CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const ready = await Promise.race([
    new Promise<boolean>((r) => {
      const check = (): void => {
        if (out.includes('ready:')) r(true);
      };
      proc.stdout?.on('data', check);
    }),
    exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs)),
  ]);
  const tunnel: RunningTunnel = {
    proc,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  if (!ready) {
    await tunnel.stop();
    throw new Error(`tunnel did not become ready.\nstdout:\n${out}\nstderr:\n${err}`);
  }
  return tunnel;
}

/** A node's local port, from the tunnel's startup table (`LOCAL NODE ...` lines). */
export function localPortOf(stdout: string, node: { ip: string; port: number }): number {
  const ip = node.ip.replace(/\./g, '\\.');
  const m = new RegExp(`127\\.0\\.0\\.1:(\\d+)\\s+${ip}:${node.port}\\s`).exec(stdout);
  if (!m) throw new Error(`no local port for ${node.ip}:${node.port} in:\n${stdout}`);
  return Number(m[1]);
}

/** Runs the CLI to completion (for startup failures). */
export async function runTunnelToExit(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/** redis-cli against the tunnel (plaintext, no password). */
export async function redisCli(args: string[], timeoutMs = 20_000): Promise<string> {
  const env = { ...process.env };
  delete env.REDISCLI_AUTH;
  const { stdout } = await run('redis-cli', args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 });
  return stdout;
}

/**
 * A cluster of its own for a test file: before the tests, starts `spec`'s cluster and a tunnel to
 * its first node (with `args`), and hands both to `use`; after them, stops both, and the tunnel
 * must have exited 0.
 */
export function clusterAndTunnel(
  spec: ClusterSpec,
  args: string[],
  use: (cluster: RunningCluster, tunnel: RunningTunnel) => void,
): void {
  let cluster: RunningCluster | undefined;
  let tunnel: RunningTunnel | undefined;
  beforeAll(async () => {
    cluster = await startCluster(spec);
    tunnel = await startTunnel([...seedArgs(cluster.describe()), ...args], {
      REDISCLI_AUTH: cluster.spec.password,
    });
    use(cluster, tunnel);
  });
  afterAll(async () => {
    const code = await tunnel?.stop();
    await cluster?.stop();
    expect(code).toBe(0);
  });
}
