/**
 * A client that logs in runs with its own user's rights, through the tunnel as on its own
 * connection to a node: in pinned mode and on the smart port, through credential refreshes and
 * RESET. Each sequence runs first against a node directly (TLS), logged in as the tunnel's user as
 * the tunnel logs its clients in, so what a node answers is proven, not assumed.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach } from '../../scripts/lib/cluster.js';
import { READER } from '../../scripts/lib/layouts.js';
import { keyForSlot } from '../../src/topology/hash-slot.js';
import {
  RawClient,
  type RawTarget,
  type Reply,
  errorOf,
  nodeTarget,
  tunnelTarget,
} from './helpers/raw-client.js';
import { type RunningTunnel, authCommandArgs } from './helpers/tunnel.js';
import { firstNodeRange, startBothModes, tunnelClientOf } from './helpers/both-modes.js';

const description = inject('cluster');
const cluster = attach(description);
const SMART_PORT = 6391;
/** The tunnel re-runs --auth-command this often: several refreshes happen inside each test. */
const REFRESH_MS = 200;
let tunnel: RunningTunnel;
let pinnedPort: number;
/** A key the first node serves, and one on every master. */
let key: string;
let keys: string[];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  key = keyForSlot((await firstNodeRange(cluster, description)).start, 'rights:');
  keys = (await cluster.slotRanges()).map((r) => keyForSlot(r.start, 'rights:'));
  ({ tunnel, pinnedPort } = await startBothModes(
    description,
    SMART_PORT,
    authCommandArgs(description.password, REFRESH_MS),
    {},
  ));
  const setup = await RawClient.connect(tunnelTarget(pinnedPort));
  expect(await setup.call('SET', key, 'before')).toBe('OK');
  setup.close();
});

afterAll(async () => {
  expect(await tunnel?.stop()).toBe(0);
});

/** A client as the tunnel would give it: on a node directly, logged in first as the tunnel's user. */
const connect = tunnelClientOf(description);

const direct = (): RawTarget => nodeTarget(description, 0);
const pinned = (): RawTarget => tunnelTarget(pinnedPort);
const smart = (): RawTarget => tunnelTarget(SMART_PORT);

/** The first word of an error reply (NOPERM, WRONGPASS...), or the reply itself. */
function shape(r: Reply): Reply {
  const e = errorOf(r);
  return e === null ? r : { error: e.split(' ')[0] };
}

/** AUTH as the read-only user, then a write, a read and WHOAMI; again after refreshes. */
async function readOnlyLogin(target: RawTarget, login: string[]): Promise<Reply[]> {
  const c = await connect(target);
  try {
    const out: Reply[] = [shape(await c.call(...login))];
    out.push(
      shape(await c.call('SET', key, 'written')),
      await c.call('GET', key),
      await c.call('ACL', 'WHOAMI'),
    );
    await sleep(REFRESH_MS * 4);
    out.push(shape(await c.call('SET', key, 'written')), await c.call('ACL', 'WHOAMI'));
    return out;
  } finally {
    c.close();
  }
}

const AUTH_READER = ['AUTH', READER.user, READER.password];
const EXPECTED_READER: Reply[] = [
  'OK',
  { error: 'NOPERM' },
  'before',
  'reader',
  { error: 'NOPERM' },
  'reader',
];

describe('a client that logs in runs with its own rights', () => {
  it('AUTH as a read-only user: a node refuses the write, before and after credential refreshes', async () => {
    expect(await readOnlyLogin(direct(), AUTH_READER)).toEqual(EXPECTED_READER);
    expect(await readOnlyLogin(pinned(), AUTH_READER)).toEqual(EXPECTED_READER);
    expect(await readOnlyLogin(smart(), AUTH_READER)).toEqual(EXPECTED_READER);
  });

  it('HELLO 3 AUTH as a read-only user: the same', async () => {
    const hello = ['HELLO', '3', 'AUTH', READER.user, READER.password];
    const expected = EXPECTED_READER.slice(1);
    for (const target of [direct(), pinned(), smart()]) {
      const got = await readOnlyLogin(target, hello);
      expect(got.slice(1)).toEqual(expected);
      // HELLO's reply is a map; its proto field says RESP3.
      const first = got[0] as { map: Array<[Reply, Reply]> };
      expect(first.map.find(([k]) => k === 'proto')?.[1]).toBe(3);
    }
  });

  it('the smart port serves a logged-in client on every master with its rights', async () => {
    const run = async (target: RawTarget): Promise<Reply[]> => {
      const c = await connect(target);
      try {
        expect(await c.call(...AUTH_READER)).toBe('OK');
        const out: Reply[] = [];
        for (const k of keys) out.push(shape(await c.call('SET', k, 'x')), shape(await c.call('GET', k)));
        return out;
      } finally {
        c.close();
      }
    };
    const replies = await run(smart());
    expect(replies.length).toBe(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      expect(replies[i * 2]).toEqual({ error: 'NOPERM' });
      expect(errorOf(replies[i * 2 + 1])).toBeNull();
    }
  });

  it('a failed AUTH leaves the client as it was', async () => {
    const run = async (target: RawTarget): Promise<Reply[]> => {
      const c = await connect(target);
      try {
        return [
          shape(await c.call('AUTH', READER.user, 'not-the-password')),
          await c.call('ACL', 'WHOAMI'),
          shape(await c.call('HELLO', '3', 'AUTH', READER.user, 'not-the-password')),
          await c.call('ACL', 'WHOAMI'),
          await c.call('SET', key, 'before'),
        ];
      } finally {
        c.close();
      }
    };
    const expected: Reply[] = [
      { error: 'WRONGPASS' },
      description.user,
      { error: 'WRONGPASS' },
      description.user,
      'OK',
    ];
    expect(await run(direct())).toEqual(expected);
    expect(await run(pinned())).toEqual(expected);
    expect(await run(smart())).toEqual(expected);
  });

  it('RESET returns a client to the login it started with', async () => {
    const run = async (target: RawTarget): Promise<Reply[]> => {
      const c = await connect(target);
      try {
        return [
          await c.call(...AUTH_READER),
          await c.call('ACL', 'WHOAMI'),
          await c.call('RESET'),
          shape(await c.call('ACL', 'WHOAMI')),
        ];
      } finally {
        c.close();
      }
    };
    // On a node, RESET logs the connection in as `default`, which this cluster turns off.
    expect(await run(direct())).toEqual(['OK', 'reader', 'RESET', { error: 'NOAUTH' }]);
    // Through the tunnel, the login a client starts with is the tunnel's: RESET goes back to it.
    const back: Reply[] = ['OK', 'reader', 'RESET', description.user];
    expect(await run(pinned())).toEqual(back);
    expect(await run(smart())).toEqual(back);
    // ...and it keeps working through refreshes.
    const c = await RawClient.connect(pinned());
    await c.call('RESET');
    await sleep(REFRESH_MS * 3);
    expect(await c.call('SET', key, 'before')).toBe('OK');
    c.close();
  });

  it('AUTH as the tunnel user itself is checked by the node and keeps the tunnel login', async () => {
    for (const target of [pinned(), smart()]) {
      const c = await RawClient.connect(target);
      expect(shape(await c.call('AUTH', description.user, 'wrong'))).toEqual({ error: 'WRONGPASS' });
      expect(await c.call('AUTH', description.user, description.password)).toBe('OK');
      expect(await c.call('SET', key, 'before')).toBe('OK');
      expect(await c.call('ACL', 'WHOAMI')).toBe(description.user);
      c.close();
    }
  });

  it('an AUTH pipelined behind a large read keeps its password while the client sends more', async () => {
    // The AUTH waits for the read's reply; meanwhile the client's next bytes arrive (on the
    // pinned port, read into the buffer the AUTH came in).
    const big = 'x'.repeat(4 * 1024 * 1024);
    const bigKey = `{${key}}:big`; // on the first node, as `key` is
    const setup = await connect(direct());
    expect(await setup.call('SET', bigKey, big)).toBe('OK');
    setup.close();
    const pings = Array.from({ length: 40 }, () => ['PING']);
    const commands = [['GET', bigKey], AUTH_READER, ...pings, ['ACL', 'WHOAMI']];
    const firstTwo =
      `*2\r\n$3\r\nGET\r\n$${bigKey.length}\r\n${bigKey}\r\n`.length +
      AUTH_READER.reduce((n, a) => n + `$${a.length}\r\n${a}\r\n`.length, '*3\r\n'.length);
    const expected: Reply[] = [big, 'OK', ...pings.map(() => 'PONG'), READER.user];
    for (const target of [direct(), pinned()]) {
      const c = await connect(target);
      // The PINGs come in pieces 2 ms apart, each long enough to cover the AUTH's bytes.
      const cuts = [0, 1, 2, 3, 4].map((i) => firstTwo + i * 8 * 14);
      const replies = await Promise.all(c.pipelineCut(commands, cuts, 2));
      expect(replies).toEqual(expected);
      c.close();
    }
  });

  it("pinned clients that log in as the same user share that login's connection to the node", async () => {
    const node = description.nodes[0];
    const readers = async (): Promise<number> =>
      (await cluster.cli(node, ['CLIENT', 'LIST'])).split('\n').filter((l) => / user=reader /.test(l)).length;
    const loggedIn = async (target: RawTarget, n: number): Promise<RawClient[]> => {
      const clients: RawClient[] = [];
      for (let i = 0; i < n; i++) {
        const c = await connect(target);
        expect(await c.call(...AUTH_READER)).toBe('OK');
        expect(await c.call('GET', key)).toBe('before');
        expect(shape(await c.call('SET', key, 'x'))).toEqual({ error: 'NOPERM' });
        clients.push(c);
      }
      return clients;
    };
    // On a node, each client that logs in is a connection of that user.
    const before = await readers();
    const direct5 = await loggedIn(direct(), 5);
    expect(await readers()).toBe(before + 5);
    for (const c of direct5) c.close();
    // Through the pinned listener, one connection per node serves them all, with the same rights.
    const first = await loggedIn(pinned(), 1);
    const shared = await readers();
    const more = await loggedIn(pinned(), 5);
    expect(await readers()).toBe(shared);
    for (const c of [...first, ...more]) c.close();
  });
});
