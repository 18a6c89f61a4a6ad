/**
 * Startup failures against the real TLS cluster: each exits non-zero with one line naming the
 * node and the reason, and never prints the password.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { redisCli, runTunnelToExit, seedArgs, startTunnel } from './helpers/tunnel.js';

const cluster = inject('cluster');
const auth = { REDISCLI_AUTH: cluster.password };

/** The one-line error the CLI printed (its last stderr line). */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines[lines.length - 1];
}

describe('startup failures', () => {
  let standalone: ChildProcess;

  beforeAll(async () => {
    // A plaintext standalone server (not a cluster), on its own loopback address.
    standalone = spawn(
      'redis-server',
      ['--bind', '127.0.0.19', '--port', '7019', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 50; i++) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect(7019, '127.0.0.19', () => (s.destroy(), r(true)));
        s.on('error', () => r(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('standalone redis-server did not start');
  });

  afterAll(() => {
    if (standalone.pid) process.kill(standalone.pid, 'SIGTERM');
  });

  it('wrong password: names the node and the server reason, never echoes the password', async () => {
    const secret = 'wrong-pw-9f8e7d6c';
    const r = await runTunnelToExit([...seedArgs(cluster), '--log-level', 'debug'], {
      REDISCLI_AUTH: secret,
    });
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^redis-cluster-tunnel: seed 127\.0\.0\.11:7001: authentication failed: WRONGPASS/,
    );
    expect(r.stderr + r.stdout).not.toContain(secret);
  });

  it('password given with -a: works, warns about the process list, and is not logged', async () => {
    const r = await runTunnelToExit(
      [...seedArgs(cluster), '-a', 'another-secret-1234', '--log-level', 'debug'],
      {},
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('prefer the REDISCLI_AUTH environment variable');
    expect(r.stderr + r.stdout).not.toContain('another-secret-1234');
  });

  it('bad CA: certificate verification fails, naming the node', async () => {
    const r = await runTunnelToExit(
      [`rediss://${cluster.user}@127.0.0.11:7001`, '--cacert', cluster.otherCaCert],
      auth,
    );
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /seed 127\.0\.0\.11:7001: TLS certificate check failed for name 127\.0\.0\.11: .*\(is --cacert right\?\)/,
    );
  });

  it('--insecure: an untrusted CA is accepted, with a warning', async () => {
    const tunnel = await startTunnel(
      [`rediss://${cluster.user}@127.0.0.11:7001`, '--cacert', cluster.otherCaCert, '--insecure'],
      auth,
    );
    try {
      expect(tunnel.stderr()).toContain('--insecure: node certificates are not verified');
      expect((await redisCli(['-c', '-p', '7001', 'SET', 'insecure:k', 'v'])).trim()).toBe('OK');
    } finally {
      expect(await tunnel.stop()).toBe(0);
    }
  });

  it('mutual TLS: a node that requires a client certificate; --cert/--key satisfy it', async () => {
    const admin = attach(cluster);
    const withCert = ['--cert', cluster.clientCert, '--key', cluster.clientKey];
    const setAll = (value: string): Promise<unknown> =>
      Promise.all(
        admin.nodes.map((n) => admin.cli(n, [...withCert, 'CONFIG', 'SET', 'tls-auth-clients', value])),
      );
    await setAll('yes');
    try {
      const r = await runTunnelToExit(seedArgs(cluster), auth);
      expect(r.code).toBe(1);
      expect(errorLine(r.stderr)).toBe(
        'redis-cluster-tunnel: seed 127.0.0.11:7001: the node requires a client certificate (give --cert and --key)',
      );
      const tunnel = await startTunnel([...seedArgs(cluster), ...withCert], auth);
      try {
        expect((await redisCli(['-c', '-p', '7002', 'SET', 'mtls:k', 'v'])).trim()).toBe('OK');
        expect((await redisCli(['-c', '-p', '7003', 'GET', 'mtls:k'])).trim()).toBe('v');
      } finally {
        expect(await tunnel.stop()).toBe(0);
      }
    } finally {
      await setAll('optional');
    }
  });

  it('a TLS name the certificate does not carry', async () => {
    const r = await runTunnelToExit([...seedArgs(cluster), '--sni', 'wrong.example'], auth);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /seed 127\.0\.0\.11:7001: TLS certificate check failed for name wrong\.example: .*altnames/,
    );
  });

  it('unreachable seed', async () => {
    const r = await runTunnelToExit([`rediss://127.0.0.11:7999`, '--cacert', cluster.caCert], auth);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe('redis-cluster-tunnel: seed 127.0.0.11:7999: connection refused');
  });

  it('a node that accepts but never answers: bounded by --connect-timeout', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(7998, '127.0.0.19', r));
    try {
      const started = Date.now();
      const r = await runTunnelToExit(
        ['rediss://127.0.0.19:7998', '--cacert', cluster.caCert, '--connect-timeout', '700'],
        auth,
      );
      expect(r.code).toBe(1);
      expect(errorLine(r.stderr)).toBe(
        'redis-cluster-tunnel: seed 127.0.0.19:7998: connected, but the node sent nothing within 700 ms: no TLS handshake, and no answer in plaintext either (is it stopped or overloaded?)',
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  });

  it('not a cluster, with --topology cluster', async () => {
    const r = await runTunnelToExit(['redis://127.0.0.19:7019', '--topology', 'cluster'], {});
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /127\.0\.0\.19:7019 is not a cluster node: ERR This instance has cluster support disabled \(--topology auto serves standalone servers\)$/,
    );
  });

  it('plaintext to a TLS-only node, and TLS to a plaintext node', async () => {
    const plain = await runTunnelToExit(['redis://127.0.0.11:7001'], auth);
    expect(plain.code).toBe(1);
    expect(errorLine(plain.stderr)).toMatch(
      /seed 127\.0\.0\.11:7001: .*does the node require TLS\? use rediss:\/\/ or --tls/,
    );
    // A plaintext Redis waits for a newline that a TLS ClientHello never sends: the handshake stalls.
    const tls = await runTunnelToExit(
      ['rediss://127.0.0.19:7019', '--cacert', cluster.caCert, '--connect-timeout', '1000'],
      {},
    );
    expect(tls.code).toBe(1);
    expect(errorLine(tls.stderr)).toBe(
      'redis-cluster-tunnel: seed 127.0.0.19:7019: no TLS handshake within 1000 ms, but the node answers in plaintext: use redis:// (without --tls) for a plaintext node',
    );
  });

  it('a local port already taken: that node moves to the next free port, shown in the table, and works', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(7003, '127.0.0.1', r));
    const tunnel = await startTunnel(seedArgs(cluster), auth);
    try {
      expect(tunnel.stdout()).toMatch(/^127\.0\.0\.1:7007 +127\.0\.0\.13:7003 +master/m);
      expect(tunnel.stderr()).toContain('local port 7003 is taken; node 127.0.0.13:7003 gets 7007');
      expect((await redisCli(['-c', '-p', '7007', 'SET', 'moved:port', 'ok'])).trim()).toBe('OK');
      const check = await redisCli(['--cluster', 'check', '127.0.0.1:7001']).catch(
        (e: { stdout?: string }) => `FAILED\n${e.stdout}`,
      );
      expect(check, check).toContain('All 16384 slots covered');
      expect(check, check).not.toContain('FAILED');
      expect(check).toContain('127.0.0.1:7007');
    } finally {
      expect(await tunnel.stop()).toBe(0);
      blocker.close();
    }
  });

  it('a pinned local port that is taken fails, naming the port and the node', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(7003, '127.0.0.1', r));
    try {
      const r = await runTunnelToExit([...seedArgs(cluster), '--map', '127.0.0.13:7003=7003'], auth);
      expect(r.code).toBe(1);
      expect(errorLine(r.stderr)).toBe(
        'redis-cluster-tunnel: cannot listen on 127.0.0.1:7003 for node 127.0.0.13:7003: address in use',
      );
    } finally {
      blocker.close();
    }
  });

  it('--bind another loopback address: replies announce it; --log-format json writes JSON lines', async () => {
    const tunnel = await startTunnel(
      [...seedArgs(cluster), '--bind', '127.0.0.2', '--log-format', 'json'],
      auth,
    );
    try {
      expect(tunnel.stdout()).toContain('Point cluster clients at 127.0.0.2:7001');
      const slots = await redisCli(['-h', '127.0.0.2', '-p', '7001', 'CLUSTER', 'SLOTS']);
      expect(slots).toContain('127.0.0.2');
      expect(slots).not.toMatch(/127\.0\.0\.1[1-6]/);
      const lines = tunnel.stderr().trim().split('\n').filter(Boolean);
      expect(lines.some((l) => l.includes('discovered 6 nodes from 127.0.0.11:7001'))).toBe(true);
      for (const line of lines) expect(JSON.parse(line)).toHaveProperty('level');
      expect(tunnel.stderr()).not.toContain('not loopback'); // 127.0.0.0/8 is loopback: no warning
    } finally {
      expect(await tunnel.stop()).toBe(0);
    }
  });

  it('--auth-command: the password comes from a command, re-run on schedule, never logged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rct-auth-'));
    const runs = join(dir, 'runs');
    const command = `echo run >> ${runs}; printf %s '${cluster.password}'`;
    const tunnel = await startTunnel(
      [...seedArgs(cluster), '--auth-command', command, '--auth-refresh', '300', '--log-level', 'debug'],
      {
        REDISCLI_AUTH: '',
      },
    );
    const sock = net.connect(7001, '127.0.0.1');
    let received = '';
    sock.on('data', (d: Buffer) => (received += d.toString('latin1')));
    try {
      await new Promise<void>((r) => sock.once('connect', r));
      sock.write('*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$5\r\nprobe\r\n');
      await new Promise((r) => setTimeout(r, 1500)); // idle while the token is refreshed 4+ times
      expect(readFileSync(runs, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(4);
      // The idle connection was re-authenticated on the node: its last command there is AUTH ...
      const admin = attach(cluster);
      const line = (await admin.cli(admin.nodes[0], ['CLIENT', 'LIST']))
        .split('\n')
        .find((l) => l.includes(' name=probe '));
      expect(line).toMatch(/ cmd=auth /);
      // ... and the client saw none of those replies.
      sock.write('PING\r\n');
      await new Promise((r) => setTimeout(r, 200));
      expect(received).toBe('+OK\r\n+PONG\r\n');
      expect((await redisCli(['-c', '-p', '7002', 'SET', 'token:k', 'v'])).trim()).toBe('OK');
      expect(tunnel.stderr() + tunnel.stdout()).not.toContain(cluster.password);
    } finally {
      sock.destroy();
      expect(await tunnel.stop()).toBe(0);
    }
  });

  it('--auth-command that fails: exit 1 with its status and stderr, not its output', async () => {
    const r = await runTunnelToExit(
      [...seedArgs(cluster), '--auth-command', 'echo secret-output; echo no token today >&2; exit 3'],
      {},
    );
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toBe(
      'redis-cluster-tunnel: --auth-command failed: exit status 3: no token today',
    );
    expect(r.stderr).not.toContain('secret-output');
  });

  it('usage errors exit 2', async () => {
    const r = await runTunnelToExit(['http://example.com'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unsupported scheme http:');
    const none = await runTunnelToExit([], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no seed');
  });
});
