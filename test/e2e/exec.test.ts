/**
 * Exec mode and the ready file, on the project's real TLS cluster: the tunnel starts, runs a
 * command with the local addresses in its environment, stops, and leaves with the command's own
 * exit code; a ready file tells a waiting job where everything is.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../../scripts/lib/cluster.js';
import type { ReadyState } from '../../src/cli/ready.js';
import { CLI, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const env = { REDISCLI_AUTH: description.password };
const dir = mkdtempSync(join(tmpdir(), 'rct-exec-'));
const NODES = '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003,127.0.0.1:7004,127.0.0.1:7005,127.0.0.1:7006';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI to its end with `input` on stdin; `whenReady` is called once the tunnel says it is
 * ready (with the process, to signal it).
 */
function execTunnel(
  args: string[],
  opts: { input?: string; whenReady?: (pid: number) => void; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let told = false;
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!told && stderr.includes('ready:')) {
        told = true;
        opts.whenReady?.(proc.pid as number);
      }
    });
    if (opts.input !== undefined) proc.stdin.end(opts.input);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exec mode', () => {
  it('sets REDIS_URL, REDIS_HOST, REDIS_PORT and REDIS_CLUSTER_NODES; exits 0 with the command', async () => {
    const r = await execTunnel([
      ...seedArgs(description),
      '--',
      'sh',
      '-c',
      'echo "$REDIS_URL|$REDIS_HOST|$REDIS_PORT|$REDIS_CLUSTER_NODES"; redis-cli -c -p "$REDIS_PORT" SET exec:k v',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`redis://127.0.0.1:7001|127.0.0.1|7001|${NODES}\nOK\n`);
    // The startup table goes to stderr, out of the command's output.
    expect(r.stderr).toContain('ready: 6 nodes');
    expect(r.stderr).not.toContain(description.password);
  });

  it("leaves with the command's non-zero code, and with 128 + the signal that killed it", async () => {
    expect((await execTunnel([...seedArgs(description), '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await execTunnel([...seedArgs(description), '--', 'sh', '-c', 'kill -KILL $$'])).code).toBe(137);
    expect((await execTunnel([...seedArgs(description), '--', 'no-such-command-here'])).code).toBe(127);
  });

  it('gives the command its stdin: redis-cli reads commands from it', async () => {
    const r = await execTunnel(
      [...seedArgs(description), '--', 'sh', '-c', 'redis-cli -c -p "$REDIS_PORT"'],
      { input: 'SET exec:stdin hello\nGET exec:stdin\n' },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('OK\nhello\n');
  });

  it('SIGTERM to the tunnel goes to the command first; the tunnel stops after it, with its code', async () => {
    const script = 'trap "echo got-term; exit 5" TERM; for i in $(seq 1 300); do sleep 0.1; done; exit 9';
    const r = await execTunnel([...seedArgs(description), '--', 'sh', '-c', script], {
      whenReady: (pid) => setTimeout(() => process.kill(pid, 'SIGTERM'), 500),
    });
    expect(r.stdout).toBe('got-term\n');
    expect(r.code).toBe(5);
  });

  it('a tunnel that cannot start runs nothing and exits 1 with the reason', async () => {
    const r = await execTunnel([
      `rediss://${description.user}@127.0.0.11:1`,
      '--cacert',
      description.caCert,
      '--',
      'sh',
      '-c',
      'echo ran',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('127.0.0.11:1');
    expect(r.stderr).toMatch(/connection refused/);
  });

  it('smart mode: the variables name the one port, and a plain client uses the whole cluster', async () => {
    const r = await execTunnel([
      ...seedArgs(description),
      '--mode',
      'smart',
      '--smart-port',
      '6395',
      '--',
      'sh',
      '-c',
      'echo "$REDIS_URL $REDIS_CLUSTER_NODES"; redis-cli -p "$REDIS_PORT" MSET exec:a 1 exec:b 2 exec:c 3; redis-cli -p "$REDIS_PORT" MGET exec:a exec:b exec:c',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('redis://127.0.0.1:6395 127.0.0.1:6395\nOK\n1\n2\n3\n');
  });
});

describe('config file and environment, on a real tunnel', () => {
  it('flags > environment > file > defaults: the smart port each layer sets is the one served', async () => {
    const config = join(dir, 'tunnel.yaml');
    // The seed, its CA (relative to the file), the mode and a smart port, all from the file.
    const ca = relative(dir, description.caCert);
    writeFileSync(
      config,
      `seed: rediss://${description.user}@${description.nodes[0].ip}:${description.nodes[0].port}\ncacert: ${ca}\nmode: smart\nsmart-port: 6401\n`,
    );
    const port = (extraEnv: Record<string, string>, flags: string[]): Promise<Run> =>
      execTunnel(
        [
          '--config',
          config,
          ...flags,
          '--',
          'sh',
          '-c',
          'echo "$REDIS_PORT"; redis-cli -p "$REDIS_PORT" PING',
        ],
        {
          env: extraEnv,
        },
      );
    const fileOnly = await port({}, []);
    expect(fileOnly.code, fileOnly.stderr).toBe(0);
    expect(fileOnly.stdout).toBe('6401\nPONG\n');
    expect((await port({ REDIS_CLUSTER_TUNNEL_SMART_PORT: '6402' }, [])).stdout).toBe('6402\nPONG\n');
    expect((await port({ REDIS_CLUSTER_TUNNEL_SMART_PORT: '6402' }, ['--smart-port', '6403'])).stdout).toBe(
      '6403\nPONG\n',
    );
  });
});

describe('the ready file', () => {
  it('appears once every listener is up, with nodes, roles, slots, seed and smart port; gone after stop', async () => {
    const path = join(dir, 'ready.json');
    const tunnel = await startTunnel(
      [...seedArgs(description), '--mode', 'both', '--smart-port', '6396', '--ready-file', path],
      env,
    );
    try {
      const state = JSON.parse(readFileSync(path, 'utf8')) as ReadyState;
      expect(state.mode).toBe('both');
      expect(state.seed).toEqual({ host: '127.0.0.1', port: 7001 });
      expect(state.smart).toEqual({ host: '127.0.0.1', port: 6396 });
      expect(state.url).toBe('redis://127.0.0.1:6396');
      expect(state.nodes.map((n) => n.local).join(',')).toBe(NODES);
      const masters = state.nodes.filter((n) => n.role === 'master');
      expect(masters).toHaveLength(3);
      const covered = masters
        .flatMap((m) => m.slots.split(' '))
        .map((r) => r.split('-').map(Number))
        .reduce((n, [a, b = a]) => n + b - a + 1, 0);
      expect(covered).toBe(16384);
      for (const r of state.nodes.filter((n) => n.role === 'replica'))
        expect(masters.map((m) => m.node)).toContain(r.master);
      expect(state.nodes.every((n) => /^[0-9a-f]{40}$/.test(n.id))).toBe(true);
      expect(state.nodes[0].node).toBe('127.0.0.11:7001');
    } finally {
      expect(await tunnel.stop()).toBe(0);
    }
    await waitFor('the ready file to go', 5000, async () => !existsSync(path));
  });

  it('a ready file that cannot be written stops the start, with the reason', async () => {
    const r = await execTunnel([
      ...seedArgs(description),
      '--ready-file',
      join(dir, 'no/such/dir/ready.json'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot write the ready file');
  });
});
