/**
 * Smart mode sends a client's pipelined single-node requests as one run (see RequestRun). A run
 * whose slot is moving meets ASK and MOVED part-way: each such reply is followed for its one
 * request, and the client still gets every reply, right, in order. The node is asked first, so the
 * redirects the run meets are shown to be real.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attach, waitFor } from '../../scripts/lib/cluster.js';
import { encodeCommand } from '../../src/resp/encode.js';
import { FrameSplitter } from '../../src/resp/frame-splitter.js';
import { ReplyScanner } from '../../src/resp/reply-scanner.js';
import { hashSlot, keyForSlot } from '../../src/topology/hash-slot.js';
import { migrateKeys } from './helpers/slots.js';
import { RawClient, type RawTarget, type Reply, tunnelTarget, within } from './helpers/raw-client.js';
import { type RunningTunnel, seedArgs, startTunnel } from './helpers/tunnel.js';

const description = inject('cluster');
const admin = attach(description);
const PORT = 6411;
let tunnel: RunningTunnel;

/** Sends `commands` in one write to `port` on `host`; resolves with the first `commands.length` replies. */
function pipeline(host: string, port: number, commands: string[][]): Promise<string[]> {
  return new Promise((done, fail) => {
    const socket = net.connect({ host, port });
    const scanner = new ReplyScanner();
    const frames = new FrameSplitter(scanner, () => scanner.inFrame);
    const replies: string[] = [];
    const timer = setTimeout(
      () => fail(new Error(`${replies.length} of ${commands.length} replies`)),
      10_000,
    );
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) =>
      frames.push(chunk, (frame) => {
        replies.push(frame.toString().trim());
        if (replies.length === commands.length) {
          clearTimeout(timer);
          socket.destroy();
          done(replies);
        }
      }),
    );
    socket.on('connect', () => socket.write(Buffer.concat(commands.map((c) => encodeCommand(c)))));
  });
}

beforeAll(async () => {
  tunnel = await startTunnel([...seedArgs(description), '--mode', 'smart', '--smart-port', String(PORT)], {
    REDISCLI_AUTH: description.password,
  });
});

afterAll(async () => {
  expect(await tunnel.stop()).toBe(0);
});

describe('smart mode: runs of pipelined requests', () => {
  it('a run that meets ASK and then MOVED part-way: every reply right and in order', async () => {
    const ranges = await admin.slotRanges();
    const from = ranges.find((r) => r.port === 7003) as { start: number; ip: string; port: number };
    const slot = from.start + 55;
    const source = admin.nodes.find((n) => n.port === 7003) as (typeof admin.nodes)[number];
    const target = admin.nodes.find((n) => n.port === 7001) as (typeof admin.nodes)[number];
    const masters = admin.nodes.filter((n) => ranges.some((r) => r.port === n.port));
    const id = async (n: typeof source): Promise<string> => (await admin.cli(n, ['CLUSTER', 'MYID'])).trim();
    const [sourceId, targetId] = [await id(source), await id(target)];
    const tag = keyForSlot(slot, 'run');
    const moving = Array.from({ length: 6 }, (_, i) => `{${tag}}:${i}`);
    // Keys of the same master in other slots: they share the run with the moving ones.
    const staying = Array.from({ length: 6 }, (_, i) => keyForSlot(from.start + 100 + i, `stay${i}:`));
    expect(moving.every((k) => hashSlot(k) === slot)).toBe(true);
    const migrate = (from_: typeof source, to: typeof source, keys: string[]): Promise<string> =>
      migrateKeys(admin, from_, to, keys);
    const all = [...moving, ...staying];
    for (const k of all) expect((await admin.cli(source, ['SET', k, `v:${k}`])).trim()).toBe('OK');
    const gets = moving.flatMap((k, i) => [
      ['GET', k],
      ['GET', staying[i]],
    ]);
    const expected = moving.flatMap((k, i) => [
      `$${`v:${k}`.length}\r\nv:${k}`,
      `$${`v:${staying[i]}`.length}\r\nv:${staying[i]}`,
    ]);
    try {
      await admin.cli(target, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId]);
      await admin.cli(source, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId]);
      expect((await migrate(source, target, moving.slice(0, 3))).trim()).toBe('OK');

      // The node: a migrated key answers ASK, one not migrated yet its value.
      expect((await admin.cli(source, ['GET', moving[0]])).trim()).toBe(
        `ASK ${slot} ${target.ip}:${target.port}`,
      );
      expect((await admin.cli(source, ['GET', moving[4]])).trim()).toBe(`v:${moving[4]}`);

      // The tunnel: one write of twelve GETs, three of them asked elsewhere.
      expect(await pipeline('127.0.0.1', PORT, gets)).toEqual(expected);

      // The slot moves whole; the tunnel still has it at the source until it follows MOVED.
      expect((await migrate(source, target, moving.slice(3))).trim()).toBe('OK');
      for (const n of masters) await admin.cli(n, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId]);
      expect((await admin.cli(source, ['GET', moving[4]])).trim()).toBe(
        `MOVED ${slot} ${target.ip}:${target.port}`,
      );
      expect(await pipeline('127.0.0.1', PORT, gets)).toEqual(expected);
    } finally {
      // Back where it was, for the tests after this one (the keys go back as they came).
      await admin.cli(source, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', targetId]);
      await admin.cli(target, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', sourceId]);
      await migrate(target, source, moving);
      for (const n of masters) await admin.cli(n, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', sourceId]);
      await waitFor('the slot back at its owner', 20_000, async () => {
        const count = await admin.cli(source, ['CLUSTER', 'COUNTKEYSINSLOT', String(slot)]);
        return count.trim() === String(moving.length);
      });
    }
  });

  it('a request the client read splits between its key and the rest, or inside a large value: answered as the node does', async () => {
    const ranges = await admin.slotRanges();
    const home = ranges.find((r) => r.port === 7001) as { start: number; ip: string; port: number };
    const [key, big] = [keyForSlot(home.start + 7, 'cut:'), keyForSlot(home.start + 8, 'cutbig:')];
    const value = 'x'.repeat(300_000);
    const commands = [
      ['SET', key, 'v'],
      ['GET', key],
      ['SET', big, value],
      ['STRLEN', big],
      ['DEL', key],
      ['DEL', big],
    ];
    // Cut just after the first SET's key, and twice inside the large value (each piece 50 ms apart).
    // The first SET is one the smart port reads in place (a batchable request): the tunnel once
    // answered it `ERR Cannot read properties of null`, having let go of the read its key lay in.
    const afterKey = `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n`.length;
    const head = `*3\r\n$3\r\nSET\r\n$${big.length}\r\n${big}\r\n$${value.length}\r\n`.length;
    const valueStart = encodeCommand(commands[0]).length + encodeCommand(commands[1]).length + head;
    const cuts = [afterKey, valueStart + 1000, valueStart + 200_000];
    const ask = async (t: RawTarget, login: boolean): Promise<Array<Reply | 'timeout'>> => {
      const c = await RawClient.connect(t);
      if (login) expect(await c.call('AUTH', description.user, description.password)).toBe('OK');
      const replies = await Promise.all(c.pipelineCut(commands, cuts).map((r) => within(r, 10_000)));
      c.close();
      return replies;
    };
    const expected = ['OK', 'v', 'OK', 300_000, 1, 1];
    // The node directly (it serves both keys' slots), then the smart port.
    const node = { host: home.ip, port: home.port, caCert: description.caCert };
    expect(await ask(node, true)).toEqual(expected);
    expect(await ask(tunnelTarget(PORT), false)).toEqual(expected);
  });

  it("a pipeline of GETs over every master, values of 0 bytes to 1 MiB, in RESP2 and RESP3: each node's replies, in request order", async () => {
    const ranges = await admin.slotRanges();
    // Each master's widest range (an earlier test moves a slot).
    const widest = new Map<number, (typeof ranges)[number]>();
    for (const r of ranges) {
      const w = widest.get(r.port);
      if (!w || r.end - r.start > w.end - w.start) widest.set(r.port, r);
    }
    const masters = [...widest.values()];
    expect(masters.length).toBe(3);
    const sizes = [0, 1, 31, 32, 33, 100, 70_000, 1024 * 1024];
    // One key per size on each master, in turn: neighbours in the pipeline live on different nodes.
    const keys = sizes.flatMap((size, i) =>
      masters.map((m, n) => ({ key: keyForSlot(m.start + 20 + i, `mixed:${n}:`), size, master: m })),
    );
    const valueOf = (size: number, key: string): string =>
      (key + '-').repeat(Math.ceil(size / (key.length + 1))).slice(0, size);
    // Each master directly over TLS, logged in: it stores its keys, then says what it answers.
    const direct = new Map<number, RawClient>();
    for (const m of masters) {
      const c = await RawClient.connect({ host: m.ip, port: m.port, caCert: description.caCert });
      expect(await c.call('AUTH', description.user, description.password)).toBe('OK');
      direct.set(m.port, c);
    }
    const on = (m: { port: number }): RawClient => direct.get(m.port) as RawClient;
    for (const { key, size, master } of keys)
      expect(await on(master).call('SET', key, valueOf(size, key))).toBe('OK');
    for (const protocol of [2, 3]) {
      const expected: Reply[] = [];
      for (const m of masters) await on(m).call('HELLO', String(protocol));
      for (const { key, master } of keys) expected.push(await on(master).call('GET', key));
      expect(expected.map((r) => (typeof r === 'string' ? r.length : r))).toEqual(
        keys.map(({ size }) => size),
      );
      const c = await RawClient.connect(tunnelTarget(PORT));
      if (protocol === 3) await c.call('HELLO', '3');
      const got = await Promise.all(
        c.pipeline(keys.map(({ key }) => ['GET', key])).map((r) => within(r, 10_000)),
      );
      c.close();
      expect(got, `RESP${protocol}`).toEqual(expected);
    }
    for (const { key, master } of keys) expect(await on(master).call('DEL', key)).toBe(1);
    for (const c of direct.values()) c.close();
  });
});
