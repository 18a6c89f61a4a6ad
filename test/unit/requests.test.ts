import { describe, expect, it } from 'vitest';
import { newSession } from '../helpers/session.js';
import { type RequestRewriteContext, rewriteAddressRequest } from '../../src/rewrite/requests.js';
import { fakeLookup } from '../helpers/fake-map.js';
import { b, cmd } from '../helpers/resp.js';
import { splits } from '../helpers/split.js';

/** A fake listener table: 127.0.0.1:7001/7002 front 10.0.0.1:6379 / 10.0.0.2:6379. */
const ctx: RequestRewriteContext = {
  toRemote: (host, port) =>
    host === '127.0.0.1' && port === 7001
      ? { host: '10.0.0.1', port: 6379 }
      : host === '127.0.0.1' && port === 7002
        ? { host: '10.0.0.2', port: 6379 }
        : undefined,
  migrateAuth: { user: 'tunnel', password: 's3cret' },
};

const rw = (req: string, c = ctx): string | null =>
  rewriteAddressRequest(b(req), c)?.toString('latin1') ?? null;

describe('address-carrying requests', () => {
  it('MIGRATE (as redis-cli --cluster sends it): real target, AUTH2 added before KEYS', () => {
    expect(rw(cmd('MIGRATE', '127.0.0.1', '7002', '', '0', '60000', 'KEYS', 'a', 'b'))).toBe(
      cmd('MIGRATE', '10.0.0.2', '6379', '', '0', '60000', 'AUTH2', 'tunnel', 's3cret', 'KEYS', 'a', 'b'),
    );
  });

  it('MIGRATE of one key with REPLACE: AUTH2 appended; a client AUTH is kept as it is', () => {
    expect(rw(cmd('migrate', '127.0.0.1', '7001', 'k', '0', '5000', 'REPLACE'))).toBe(
      cmd('migrate', '10.0.0.1', '6379', 'k', '0', '5000', 'REPLACE', 'AUTH2', 'tunnel', 's3cret'),
    );
    expect(rw(cmd('MIGRATE', '127.0.0.1', '7001', 'k', '0', '5000', 'AUTH', 'pw'))).toBe(
      cmd('MIGRATE', '10.0.0.1', '6379', 'k', '0', '5000', 'AUTH', 'pw'),
    );
    expect(rw(cmd('MIGRATE', '127.0.0.1', '7001', 'k', '0', '5000'), { toRemote: ctx.toRemote })).toBe(
      cmd('MIGRATE', '10.0.0.1', '6379', 'k', '0', '5000'),
    );
  });

  it('CLUSTER MEET and REPLICAOF / SLAVEOF, inline too', () => {
    expect(rw(cmd('CLUSTER', 'MEET', '127.0.0.1', '7002', '16379'))).toBe(
      cmd('CLUSTER', 'MEET', '10.0.0.2', '6379', '16379'),
    );
    expect(rw(cmd('REPLICAOF', '127.0.0.1', '7001'))).toBe(cmd('REPLICAOF', '10.0.0.1', '6379'));
    expect(rw('SLAVEOF 127.0.0.1 7002\r\n')).toBe(cmd('SLAVEOF', '10.0.0.2', '6379'));
  });

  it('leaves alone what does not name a listener', () => {
    expect(rw(cmd('REPLICAOF', 'NO', 'ONE'))).toBeNull();
    expect(rw(cmd('MIGRATE', '10.9.9.9', '6379', 'k', '0', '5000'))).toBeNull();
    expect(rw(cmd('CLUSTER', 'MEET', '127.0.0.1', '9999'))).toBeNull();
    expect(rw(cmd('CLUSTER', 'NODES'))).toBeNull();
  });

  it('through a Session, in every split: only the MIGRATE changes, big values still stream', () => {
    const big = 'v'.repeat(3000);
    const before = cmd('GET', 'a') + cmd('SET', 'b', big);
    const migrate = cmd('MIGRATE', '127.0.0.1', '7002', '', '0', '60000', 'KEYS', 'a');
    const after = cmd('CLUSTER', 'NODES') + 'PING\r\n';
    const want =
      before +
      cmd('MIGRATE', '10.0.0.2', '6379', '', '0', '60000', 'AUTH2', 'tunnel', 's3cret', 'KEYS', 'a') +
      after;
    for (const { name, chunks } of splits(b(before + migrate + after))) {
      let out = '';
      const session = newSession({
        lookup: fakeLookup,
        toServer: (x) => (out += x.toString('latin1')),
        toClient: () => {},
        rewriteRequest: (r) => rewriteAddressRequest(r, ctx),
      });
      for (const c of chunks) session.fromClient(Buffer.from(c));
      expect(out, name).toBe(want);
      expect(session.pending, name).toBe(5);
    }
  });
});

describe('a request handed over read and rewritten (the request that pinned a shared lane)', () => {
  it('goes as the rewrite made where it was read: the session neither reads nor rewrites it again', () => {
    const migrate = cmd('MIGRATE', '127.0.0.1', '7002', 'k', '0', '5000');
    const rewritten = rewriteAddressRequest(b(migrate), ctx) as Buffer;
    let out = '';
    let rewrites = 0;
    const session = newSession({
      lookup: fakeLookup,
      toServer: (x) => (out += x.toString('latin1')),
      toClient: () => {},
      rewriteRequest: (r) => (rewrites++, rewriteAddressRequest(r, ctx)),
    });
    session.fromClientParsed(b(migrate), { argc: 7, name: 'migrate', arg1: null, arg2: null }, rewritten);
    session.fromClient(b(cmd('MIGRATE', '127.0.0.1', '7001', 'j', '0', '5000')));
    expect(out).toBe(
      cmd('MIGRATE', '10.0.0.2', '6379', 'k', '0', '5000', 'AUTH2', 'tunnel', 's3cret') +
        cmd('MIGRATE', '10.0.0.1', '6379', 'j', '0', '5000', 'AUTH2', 'tunnel', 's3cret'),
    );
    // Once, for the MIGRATE the session read itself.
    expect(rewrites).toBe(1);
    expect(session.pending).toBe(2);
  });
});
