/**
 * The `cli` command against the project's TLS cluster. Its output is compared byte for byte with
 * redis-cli's against a plaintext standalone redis-server started here (both empty, the same
 * script, raw and formatted, RESP2 and RESP3); then what only a cluster-wide prompt can do: DBSIZE,
 * KEYS and SCAN over every master, @node lines, --bigkeys; and an interactive session in tmux.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sleep, waitFor } from '../../scripts/lib/cluster.js';
import { hashSlot } from '../../src/topology/hash-slot.js';
import { CLI } from './helpers/tunnel.js';

const c = inject('cluster');
const SCRIPT = readFileSync(resolve(__dirname, 'cli-script.txt'));
const STANDALONE = { host: '127.0.0.20', port: 7020 };
const seed = [`rediss://${c.user}@${c.nodes[0].ip}:${c.nodes[0].port}`, '--cacert', c.caCert];
const env = { ...process.env, REDISCLI_AUTH: c.password };
/** redis-cli against the password-less server: with REDISCLI_AUTH set, even empty, it would AUTH. */
const withoutAuth = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'REDISCLI_AUTH'));

/** Runs the cli (stdin piped, stdout not a terminal) and returns what it printed. */
function cli(args: string[], input = ''): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [CLI, 'cli', ...seed, ...args], { input, env, timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

let server: ChildProcess;

beforeAll(async () => {
  server = spawn(
    'redis-server',
    [
      '--bind',
      STANDALONE.host,
      '--port',
      String(STANDALONE.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--enable-debug-command',
      'local',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(
    'the standalone redis-server',
    10_000,
    () =>
      new Promise((r) => {
        const s = net.connect(STANDALONE.port, STANDALONE.host, () => (s.destroy(), r(true)));
        s.on('error', () => r(false));
      }),
  );
});

afterAll(() => {
  if (server.pid) process.kill(server.pid, 'SIGTERM');
});

describe('cli prints what redis-cli prints', () => {
  for (const flags of [[], ['--no-raw'], ['-3'], ['-3', '--no-raw']]) {
    it(`the same script, ${flags.join(' ') || 'raw (piped)'}: identical output`, () => {
      const direct = spawnSync(
        'redis-cli',
        ['-h', STANDALONE.host, '-p', String(STANDALONE.port), ...flags],
        {
          input: SCRIPT,
          env: withoutAuth,
          timeout: 30_000,
        },
      );
      expect(direct.status).toBe(0);
      const expected = direct.stdout.toString('latin1');
      // Sanity: the script's replies include every kind of reply and an error.
      expect(expected).toContain(
        flags.includes('--no-raw') ? '(error) ERR unknown command' : 'ERR unknown command',
      );
      const ours = cli(flags, SCRIPT.toString('latin1'));
      expect(ours.stderr).toBe('');
      expect(ours.stdout.toString('latin1')).toBe(expected);
    });
  }

  it("the script's multi-key commands span masters", () => {
    const owners = new Set(['k1', 'k2', 'k3', 'k4'].map((k) => Math.floor(hashSlot(k) / 5462)));
    expect(owners.size).toBeGreaterThan(1);
  });
});

describe('the cluster as one server', () => {
  it('DBSIZE, KEYS and a full SCAN agree with what was written; @masters DBSIZE sums to it', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `one:${i}`);
    const input = ['FLUSHALL', ...keys.map((k, i) => `SET ${k} ${i}`)].join('\n') + '\n';
    expect(cli([], input).status).toBe(0);
    expect(cli(['DBSIZE']).stdout.toString().trim()).toBe('300');
    expect(cli(['KEYS', 'one:*']).stdout.toString().trim().split('\n').sort()).toEqual([...keys].sort());
    const seen: string[] = [];
    let cursor = '0';
    for (let round = 0; round < 100; round++) {
      const [next, ...found] = cli(['SCAN', cursor, 'COUNT', '40']).stdout.toString().trim().split('\n');
      seen.push(...found.filter(Boolean));
      cursor = next;
      if (cursor === '0') break;
    }
    expect(cursor).toBe('0');
    expect([...new Set(seen)].sort()).toEqual([...keys].sort());
    const perMaster = cli(['--no-raw', '@masters', 'DBSIZE']).stdout.toString();
    const counts = [...perMaster.matchAll(/^\(integer\) (\d+)$/gm)].map((m) => Number(m[1]));
    expect(counts.length).toBe(3);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    expect(perMaster.match(/^127\.0\.0\.\d+:\d+ \(master, [0-9a-f]{8}\):$/gm)?.length).toBe(3);
  });

  it('@all ROLE shows every node, under its header', () => {
    const text = cli(['@all', 'ROLE']).stdout.toString();
    const headers = [
      ...text.matchAll(/^(127\.0\.0\.\d+:\d+) \((master|replica of [^,]+), [0-9a-f]{8}\):\n(\w+)$/gm),
    ];
    expect(headers.map((h) => h[1]).sort()).toEqual(c.nodes.map((n) => `${n.ip}:${n.port}`).sort());
    for (const h of headers) expect(h[3]).toBe(h[2] === 'master' ? 'master' : 'slave');
  });

  it('a command that one node cannot serve: the error, then the nodes and a hash tag', () => {
    const out = cli(['--no-raw', 'SUNIONSTORE', 'dest', 'one:1', 'one:2']).stdout.toString();
    expect(out).toContain("(error) CROSSSLOT Keys in request don't hash to the same slot\n");
    expect(out).toContain(`one:1 (slot ${hashSlot('one:1')}, `);
    expect(out).toContain('e.g. {dest}dest {dest}one:1 {dest}one:2');
  });

  it('--bigkeys: the largest keys of the whole cluster, from different masters, largest first', () => {
    // Tags chosen on three different masters (slots 0-5460, 5461-10922, 10923-16383).
    const tags = ['a', 'b', 'c'].map((t) => [t, Math.floor(hashSlot(t) / 5461)] as const);
    expect(new Set(tags.map(([, m]) => m)).size).toBe(3);
    const input =
      [
        'FLUSHALL',
        ...[
          ['a', 90000],
          ['b', 60000],
          ['c', 30000],
        ].map(([t, n]) => `SET big:{${t}} ${'x'.repeat(Number(n))}`),
        'SET small:{a} x',
      ].join('\n') + '\n';
    expect(cli([], input).status).toBe(0);
    const out = cli(['--bigkeys', '--top', '3']).stdout.toString().trim().split('\n');
    expect(out[0]).toBe('4 keys scanned on 3 masters; the 3 largest by MEMORY USAGE:');
    const rows = out.slice(2).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r[4])).toEqual(['"big:{a}"', '"big:{b}"', '"big:{c}"']);
    expect(rows.map((r) => r[3])).toEqual(['90000 bytes', '60000 bytes', '30000 bytes']);
    expect(new Set(rows.map((r) => r[5])).size).toBe(3);
    const bytes = rows.map((r) => Number(r[1].replace(' B', '')));
    expect([...bytes].sort((x, y) => y - x)).toEqual(bytes);
  });
});

describe('the interactive prompt, in tmux', () => {
  const session = `rct-cli-${process.pid}`;
  const tmux = (...args: string[]): string => spawnSync('tmux', args, { timeout: 10_000 }).stdout.toString();
  const screen = (): string => tmux('capture-pane', '-p', '-t', session);

  afterAll(() => void tmux('kill-session', '-t', session));

  it('prompt, a formatted reply, a hint while typing, and a history without the password', async () => {
    const history = join(mkdtempSync(join(tmpdir(), 'rct-history-')), 'history');
    const command = [process.execPath, CLI, 'cli', ...seed].map((w) => `'${w}'`).join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '200',
      '-y',
      '50',
      '-e',
      `REDISCLI_AUTH=${c.password}`,
      '-e',
      `REDIS_CLUSTER_TUNNEL_HISTORY=${history}`,
      '-e',
      'TERM=xterm',
      command,
    );
    const prompt = `${c.nodes[0].ip}:${c.nodes[0].port} (cluster)> `;
    // capture-pane drops the prompt's trailing space.
    await waitFor('the prompt', 20_000, async () => screen().includes(prompt.trimEnd()));
    tmux('send-keys', '-t', session, 'SET tmux:key "hello there"', 'Enter');
    tmux('send-keys', '-t', session, 'GET tmux:key', 'Enter');
    await waitFor('the formatted reply', 5000, async () => screen().includes('"hello there"'));
    tmux('send-keys', '-t', session, 'ZADD ');
    await waitFor('the hint', 5000, async () =>
      screen().includes(`${prompt}ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`),
    );
    tmux('send-keys', '-t', session, 'C-u');
    tmux('send-keys', '-t', session, `AUTH ${c.user} ${c.password}`, 'Enter');
    tmux('send-keys', '-t', session, 'quit', 'Enter');
    await waitFor('the cli to exit', 10_000, async () => !tmux('list-sessions').includes(session));
    await sleep(100);
    const lines = readFileSync(history, 'utf8').split('\n');
    expect(lines).toEqual(['SET tmux:key "hello there"', 'GET tmux:key', 'quit', '']);
  }, 60_000);
});
