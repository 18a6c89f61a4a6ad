import { describe, expect, it } from 'vitest';
import { PRIMARY_ID, parseRole, readStandalone, replicaId } from '../../src/topology/standalone.js';

/*
 * ROLE replies in the bytes redis-server 7.0.15 sent on the project's standalone set
 * (scripts/lib/layouts.ts `standalone`, when its replicas were on ports 7902 and 7903): a primary
 * with two replicas, and a replica.
 */
const PRIMARY_ROLE = Buffer.from(
  '*3\r\n$6\r\nmaster\r\n:1234\r\n*2\r\n' +
    '*3\r\n$10\r\n127.0.0.92\r\n$4\r\n7902\r\n$4\r\n1234\r\n' +
    '*3\r\n$10\r\n127.0.0.93\r\n$4\r\n7903\r\n$4\r\n1234\r\n',
);
const REPLICA_ROLE = Buffer.from(
  '*5\r\n$5\r\nslave\r\n$10\r\n127.0.0.91\r\n:7901\r\n$9\r\nconnected\r\n:1234\r\n',
);
/** Made up: the shape Sentinel answers ROLE with (a name and its masters). */
const SENTINEL_ROLE = Buffer.from('*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n');
const REFUSED = Buffer.from("-ERR unknown command 'ROLE', with args beginning with: \r\n");

const seed = { host: '127.0.0.92', port: 7902 };
const noOther = (): Promise<Buffer> => Promise.reject(new Error('not asked for'));

describe('ROLE', () => {
  it('reads a primary, a replica and anything else', () => {
    expect(parseRole(PRIMARY_ROLE)).toEqual({
      role: 'master',
      replicas: [
        { host: '127.0.0.92', port: 7902 },
        { host: '127.0.0.93', port: 7903 },
      ],
    });
    expect(parseRole(REPLICA_ROLE)).toEqual({
      role: 'replica',
      master: { host: '127.0.0.91', port: 7901 },
      link: 'connected',
    });
    expect(parseRole(SENTINEL_ROLE)).toEqual({ role: 'other', name: 'sentinel' });
  });
});

describe('readStandalone', () => {
  it('a primary seed: the primary entry at the seed, its replicas beside it', async () => {
    const t = await readStandalone(() => Promise.resolve(PRIMARY_ROLE), noOther, {
      host: 'db.example',
      port: 6379,
    });
    expect(t.primaryConfirmed).toBe(true);
    expect(t.proxy).toBe(false);
    expect(t.nodes.map((n) => [n.id, n.role, n.ip, n.hostname, n.port, n.slots])).toEqual([
      [PRIMARY_ID, 'master', '', 'db.example', 6379, [[0, 16383]]],
      [replicaId('127.0.0.92', 7902), 'replica', '127.0.0.92', undefined, 7902, []],
      [replicaId('127.0.0.93', 7903), 'replica', '127.0.0.93', undefined, 7903, []],
    ]);
  });

  it('a replica seed: the primary it names, and that primary’s replicas', async () => {
    const asked: string[] = [];
    const t = await readStandalone(
      () => Promise.resolve(REPLICA_ROLE),
      (host, port) => {
        asked.push(`${host}:${port}`);
        return Promise.resolve(PRIMARY_ROLE);
      },
      seed,
    );
    expect(asked).toEqual(['127.0.0.91:7901']);
    expect(t.primaryConfirmed).toBe(true);
    expect(t.nodes.map((n) => [n.id, n.ip, n.port, n.health])).toEqual([
      [PRIMARY_ID, '127.0.0.91', 7901, 'online'],
      [replicaId('127.0.0.92', 7902), '127.0.0.92', 7902, 'online'],
      [replicaId('127.0.0.93', 7903), '127.0.0.93', 7903, 'online'],
    ]);
  });

  it('a replica whose primary does not answer: the seed served, the primary marked failing', async () => {
    const t = await readStandalone(
      () => Promise.resolve(REPLICA_ROLE),
      () => Promise.reject(new Error('connect ECONNREFUSED')),
      seed,
    );
    expect(t.primaryConfirmed).toBe(false);
    expect(t.nodes.map((n) => [n.id, n.health])).toEqual([
      [PRIMARY_ID, 'fail'],
      [replicaId('127.0.0.92', 7902), 'online'],
    ]);
  });

  it('ROLE refused (a proxy): one server, the seed, no replicas', async () => {
    const t = await readStandalone(() => Promise.resolve(REFUSED), noOther, seed);
    expect(t.proxy).toBe(true);
    expect(t.nodes.map((n) => [n.id, n.ip, n.port])).toEqual([[PRIMARY_ID, '127.0.0.92', 7902]]);
  });

  it('a Sentinel seed is refused with the reason', async () => {
    await expect(readStandalone(() => Promise.resolve(SENTINEL_ROLE), noOther, seed)).rejects.toThrow(
      '127.0.0.92:7902 is a sentinel, not a Redis server (ROLE)',
    );
  });
});
