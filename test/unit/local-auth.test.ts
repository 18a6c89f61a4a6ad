import { describe, expect, it } from 'vitest';
import { LocalAuth, gate, rewriteCredentials } from '../../src/protocol/local-auth.js';

const args = (...a: string[]): Buffer[] => a.map((x) => Buffer.from(x));
const step = (auth: LocalAuth, authed: boolean, ...a: string[]) => {
  const r = gate(auth, authed, a[0].toLowerCase(), args(...a));
  return { authed: r.authed, out: 'reply' in r.step ? r.step.reply.toString() : 'pass' };
};

describe('local password', () => {
  it('any user name by default; only the given one with --local-user', () => {
    const any = new LocalAuth('pw');
    expect(any.accepts({ password: Buffer.from('pw') })).toBe(true);
    expect(any.accepts({ user: 'who', password: Buffer.from('pw') })).toBe(true);
    expect(any.accepts({ password: Buffer.from('pW') })).toBe(false);
    const named = new LocalAuth('pw', 'ci');
    expect(named.accepts({ user: 'ci', password: Buffer.from('pw') })).toBe(true);
    expect(named.accepts({ user: 'other', password: Buffer.from('pw') })).toBe(false);
    expect(named.accepts({ password: Buffer.from('pw') })).toBe(false);
  });

  it('before AUTH: NOAUTH for everything but AUTH, HELLO … AUTH and QUIT', () => {
    const a = new LocalAuth('pw');
    expect(step(a, false, 'GET', 'k')).toEqual({
      authed: false,
      out: '-NOAUTH Authentication required.\r\n',
    });
    expect(step(a, false, 'HELLO', '3').out).toMatch(/^-NOAUTH HELLO must be called/);
    expect(step(a, false, 'QUIT')).toEqual({ authed: false, out: 'pass' });
    expect(step(a, false, 'AUTH', 'x').out).toMatch(/^-WRONGPASS/);
    expect(step(a, false, 'AUTH', 'a', 'b', 'c').out).toMatch(/wrong number of arguments/);
    expect(step(a, false, 'AUTH', 'pw')).toEqual({ authed: true, out: '+OK\r\n' });
    expect(step(a, false, 'HELLO', '3', 'AUTH', 'u', 'pw')).toEqual({ authed: true, out: 'pass' });
    expect(step(a, true, 'GET', 'k')).toEqual({ authed: true, out: 'pass' });
    expect(step(a, true, 'AUTH', 'nope')).toEqual({
      authed: true,
      out: '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
    });
  });

  it('pinned mode after AUTH: stand-ins the node answers, never the password', () => {
    const a = new LocalAuth('pw');
    const out = (...x: string[]): string | undefined => rewriteCredentials(args(...x), a)?.toString();
    expect(out('AUTH', 'pw')).toBe('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n');
    expect(out('AUTH', 'bad')).toContain('redis-cluster-tunnel:refused');
    expect(out('AUTH', 'a', 'b', 'c')).toBe('*1\r\n$4\r\nAUTH\r\n');
    expect(out('HELLO', '3', 'AUTH', 'u', 'pw', 'SETNAME', 'n')).toBe(
      '*4\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$7\r\nSETNAME\r\n$1\r\nn\r\n',
    );
    expect(out('HELLO', '3')).toBeUndefined();
    expect(out('GET', 'pw')).toBeUndefined();
    for (const x of [
      ['AUTH', 'bad'],
      ['AUTH', 'pw'],
      ['HELLO', '3', 'AUTH', 'u', 'pw'],
    ])
      expect(out(...x)).not.toMatch(/\bpw\b/);
  });
});
