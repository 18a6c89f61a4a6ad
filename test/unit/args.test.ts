import { describe, expect, it } from 'vitest';
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
    });
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
});
