import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError, optionsFrom, parseSeedUrl } from '../../src/cli/args.js';

describe('command-line arguments', () => {
  it('seed URLs: TLS from the scheme, user and percent-encoded password, IPv6, default port', () => {
    expect(parseSeedUrl('rediss://app:p%40ss%3Aw0rd@cache.example.com:6380')).toEqual({
      tls: true,
      host: 'cache.example.com',
      port: 6380,
      user: 'app',
      password: 'p@ss:w0rd',
    });
    expect(parseSeedUrl('redis://[fd00::1]')).toEqual({
      tls: false,
      host: 'fd00::1',
      port: 6379,
      user: undefined,
      password: undefined,
    });
    expect(() => parseSeedUrl('http://x:1')).toThrow(UsageError);
    expect(() => parseSeedUrl('not a url')).toThrow(/not a URL/);
  });

  it('password: -a, else the URL, else REDISCLI_AUTH; the first two warn', () => {
    const env = { REDISCLI_AUTH: 'from-env' };
    expect(optionsFrom(['rediss://h:1'], env)).toMatchObject({
      options: { password: 'from-env', tls: true },
      warnings: [],
    });
    const url = optionsFrom(['rediss://u:from-url@h:1'], env);
    expect(url.options).toMatchObject({ password: 'from-url', user: 'u' });
    expect(url.warnings[0]).toContain('REDISCLI_AUTH');
    expect(optionsFrom(['rediss://u:from-url@h:1', '-a', 'from-flag'], env).options.password).toBe(
      'from-flag',
    );
  });

  it('-h/-p seeds, repeatable --map and --resolve, defaults', () => {
    const { options } = optionsFrom(
      [
        '-h',
        '10.0.0.5',
        '-p',
        '6380',
        '--tls',
        '--map',
        'node1:6379=7000',
        '--map',
        'abcdef12=7001',
        '--resolve',
        'node1:6379:10.0.0.9',
      ],
      {},
    );
    expect(options).toMatchObject({
      seed: { host: '10.0.0.5', port: 6380 },
      tls: true,
      bind: '127.0.0.1',
      refreshIntervalMs: 10_000,
      retireAfterMs: 60_000,
      pins: [
        { node: 'node1:6379', localPort: 7000 },
        { node: 'abcdef12', localPort: 7001 },
      ],
      resolve: [{ host: 'node1', port: 6379, addr: '10.0.0.9' }],
      share: true,
    });
  });

  it('--no-share, or REDIS_CLUSTER_TUNNEL_SHARE=false, gives every pinned client its own connection', () => {
    expect(optionsFrom(['-h', 'a', '--no-share'], {}).options.share).toBe(false);
    expect(optionsFrom(['-h', 'a'], { REDIS_CLUSTER_TUNNEL_SHARE: 'false' }).options.share).toBe(false);
    expect(optionsFrom(['-h', 'a', '--share'], { REDIS_CLUSTER_TUNNEL_SHARE: 'false' }).options.share).toBe(
      true,
    );
  });

  it('--auth-command replaces REDISCLI_AUTH and refuses a second password', () => {
    expect(
      optionsFrom(['-h', 'a', '--auth-command', 'get-token'], { REDISCLI_AUTH: 'x' }).options,
    ).toMatchObject({
      password: undefined,
      authCommand: 'get-token',
      authRefreshMs: 600_000,
    });
    expect(() => optionsFrom(['rediss://u:pw@a:1', '--auth-command', 'get-token'], {})).toThrow(
      /--auth-command gives the password/,
    );
  });

  it('usage errors: no seed, two seeds, URL and -h together, bad --map / --resolve, unknown option', () => {
    for (const argv of [
      [],
      ['redis://a:1', 'redis://b:2'],
      ['redis://a:1', '-h', 'b'],
      ['-h', 'a', '--map', 'x'],
      ['-h', 'a', '--resolve', 'nope'],
      ['-h', 'a', '--frobnicate'],
    ]) {
      expect(() => optionsFrom(argv, {}), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('exec mode: everything after -- is the command; nothing after it is a usage error', () => {
    const r = optionsFrom(['-h', 'a', '--mode', 'smart', '--', 'redis-cli', '-p', '6379', '--', 'x'], {});
    expect(r.command).toEqual(['redis-cli', '-p', '6379', '--', 'x']);
    expect(r.options.mode).toBe('smart');
    expect(optionsFrom(['-h', 'a'], {}).command).toBeUndefined();
    expect(() => optionsFrom(['-h', 'a', '--'], {})).toThrow(/nothing to run/);
    expect(optionsFrom(['-h', 'a', '--ready-file', '/tmp/r.json'], {}).readyFile).toBe('/tmp/r.json');
  });
});

describe('config file and environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rct-args-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode = 0o644): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };

  it('precedence: flags > environment > file > defaults, option by option', () => {
    const cfg = file(
      'p.yaml',
      'seed: rediss://file-host:7000\nsmart-port: 1111\nrefresh-interval: 3000\nmode: both\n',
    );
    const env = { REDIS_CLUSTER_TUNNEL_SMART_PORT: '2222', REDIS_CLUSTER_TUNNEL_MODE: 'smart' };
    const o = optionsFrom(['--config', cfg, '--mode', 'pinned'], env).options;
    expect(o.mode).toBe('pinned'); // flag over environment over file
    expect(o.smartPort).toBe(2222); // environment over file
    expect(o.refreshIntervalMs).toBe(3000); // file over default
    expect(o.retireAfterMs).toBe(60_000); // default
    expect(o.seed).toEqual({ host: 'file-host', port: 7000 });
    expect(o.tls).toBe(true);
    // The positional seed beats the file's.
    expect(optionsFrom(['redis://argv-host:1', '--config', cfg], {}).options.seed.host).toBe('argv-host');
  });

  it('JSON too; the config file may be named in the environment; paths are relative to the file', () => {
    const cfg = file(
      'c.json',
      JSON.stringify({ host: 'j', port: 6380, cacert: 'certs/ca.pem', map: ['a:1=7000'] }),
    );
    const o = optionsFrom([], { REDIS_CLUSTER_TUNNEL_CONFIG: cfg }).options;
    expect(o.seed).toEqual({ host: 'j', port: 6380 });
    expect(o.caFile).toBe(join(dir, 'certs/ca.pem'));
    expect(o.pins).toEqual([{ node: 'a:1', localPort: 7000 }]);
  });

  it('environment values are typed: numbers, booleans, lists; a bad one is a usage error', () => {
    const o = optionsFrom(['-h', 'a'], {
      REDIS_CLUSTER_TUNNEL_TLS: 'true',
      REDIS_CLUSTER_TUNNEL_CONNECT_TIMEOUT: '2500',
      REDIS_CLUSTER_TUNNEL_RESOLVE: 'n1:6379:10.0.0.1,n2:*:10.0.0.2',
    }).options;
    expect(o).toMatchObject({ tls: true, connectTimeoutMs: 2500 });
    expect(o.resolve).toHaveLength(2);
    expect(() => optionsFrom(['-h', 'a'], { REDIS_CLUSTER_TUNNEL_SMART_PORT: 'many' })).toThrow(UsageError);
    expect(() => optionsFrom(['-h', 'a'], { REDIS_CLUSTER_TUNNEL_TLS: 'perhaps' })).toThrow(UsageError);
  });

  it('a password is read from a file only when the file is 0600 or stricter, and then without a warning', () => {
    const open = file('open.yaml', 'host: a\npass: s3cret\n', 0o644);
    expect(() => optionsFrom(['--config', open], {})).toThrow(
      /holds pass but others may read it \(mode 644\)/,
    );
    const url = file('url.yaml', 'seed: rediss://u:s3cret@a:1\n', 0o640);
    expect(() => optionsFrom(['--config', url], {})).toThrow(/holds seed \(its password\)/);
    const closed = file('closed.yaml', 'host: a\npass: s3cret\n', 0o600);
    const r = optionsFrom(['--config', closed], { REDISCLI_AUTH: 'env' });
    expect(r.options.password).toBe('s3cret');
    expect(r.warnings).toEqual([]);
    // Without a password, any mode will do.
    expect(optionsFrom(['--config', file('plain.yaml', 'host: a\n', 0o644)], {}).options.seed.host).toBe('a');
  });

  it('a config file that cannot be used is a usage error naming it', () => {
    expect(() => optionsFrom(['--config', join(dir, 'missing.yaml')], {})).toThrow(
      /cannot read the config file/,
    );
    expect(() => optionsFrom(['--config', file('bad.yaml', 'host: [a\n')], {})).toThrow(UsageError);
    expect(() => optionsFrom(['--config', file('list.yaml', '- a\n')], {})).toThrow(/mapping/);
    expect(() => optionsFrom(['--config', file('odd.yaml', 'host: a\nfrobnicate: 1\n')], {})).toThrow(
      /unknown option in the config file .*: frobnicate/,
    );
  });
});
