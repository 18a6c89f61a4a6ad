import type * as net from 'node:net';
import { describeError, type Logger } from '../log.js';
import { Connector, type OpenNode } from '../net/connector.js';
import { NodeCommander } from '../net/commander.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { ReplyScanner } from '../resp/reply-scanner.js';
import { T_ERROR } from '../resp/types.js';
import { readTopology } from '../topology/read-topology.js';
import type { NodeTarget } from '../topology/types.js';
import { Credentials } from '../tunnel/credentials.js';
import type { TunnelOptions } from '../tunnel/options.js';
import { seedTarget, targetFor, transportFrom } from '../tunnel/transport.js';
import { ValuePool, setBatch, slotTags, slotsOf } from './keys.js';

export interface FillOptions {
  /** GiB of values to write, over every master. */
  gb: number;
  /** FLUSHALL every master first. */
  flush: boolean;
  /** One master at a time, instead of all at once. */
  serial: boolean;
  /** Connections per master. */
  connections: number;
  valueSize: number;
  keyPrefix: string;
  /** SETs per pipelined batch. */
  pipeline: number;
}

/** Where fill's defaults live (the CLI shows them from here). */
export const FILL_DEFAULTS = { connections: 8, valueSize: 512, keyPrefix: 'fill:', pipeline: 128 } as const;

export interface MasterFill {
  node: string;
  slots: number;
  keys: number;
  bytes: number;
}

export interface FillReport {
  masters: MasterFill[];
  seconds: number;
}

/** Called as batches are answered: value bytes and keys written so far, out of the total. */
export type FillProgress = (
  done: { bytes: number; keys: number },
  total: { bytes: number; keys: number },
) => void;

/**
 * Fills the cluster with random values over every slot: straight to each master over TLS + AUTH
 * (no tunnel in between), SETs in pipelined batches on several connections per master. Each
 * master gets keys in proportion to its slots, spread over all of them by hash tags.
 */
export async function fill(
  o: TunnelOptions,
  f: FillOptions,
  progress: FillProgress,
  log: Logger,
): Promise<FillReport> {
  const connector = new Connector(transportFrom(o));
  const credentials = new Credentials(
    { user: o.user, password: o.password, command: o.authCommand, refreshMs: o.authRefreshMs },
    log,
  );
  await credentials.start();
  try {
    const seed = seedTarget(o);
    const commander = new NodeCommander(
      await connector.open(seed, credentials.authRequest()),
      seed.label,
      o.connectTimeoutMs,
    );
    const target = targetFor(o);
    // A standalone replica seed names its primary: fill writes there.
    const askAt = async (host: string, port: number): Promise<Buffer> => {
      const t = target({ id: '', ip: host, port, role: 'master', slots: [], health: 'online' });
      const c = new NodeCommander(
        await connector.open(t, credentials.authRequest()),
        t.label,
        o.connectTimeoutMs,
      );
      try {
        return await c.command(['ROLE']);
      } finally {
        c.close();
      }
    };
    let nodes;
    try {
      const node = { label: seed.label, dialHost: seed.host, host: o.seed.host, port: o.seed.port };
      const kind = o.topology === 'auto' ? null : o.topology;
      nodes = (await readTopology((args) => commander.command(args), askAt, node, o.tls, kind)).nodes;
    } finally {
      commander.close();
    }
    const masters = nodes
      .filter((n) => n.role === 'master' && n.slots.length > 0)
      .map((n) => ({ target: target(n), slots: slotsOf(n.slots) }));
    if (masters.length === 0) throw new Error(`${seed.label}: the cluster has no master serving slots`);
    const totalKeys = Math.ceil((f.gb * 2 ** 30) / f.valueSize);
    const total = { bytes: totalKeys * f.valueSize, keys: totalKeys };
    const done = { bytes: 0, keys: 0 };
    const tags = slotTags();
    const values = new ValuePool(f.valueSize);
    let given = 0;
    const plans = masters.map((m, i) => {
      const keys =
        i === masters.length - 1 ? totalKeys - given : Math.round((totalKeys * m.slots.length) / 16384);
      given += keys;
      return { ...m, keys };
    });
    const open = (t: NodeTarget): Promise<OpenNode> => connector.open(t, credentials.authRequest());
    if (f.flush)
      for (const m of plans) {
        const c = new NodeCommander(await open(m.target), m.target.label, o.connectTimeoutMs);
        try {
          const r = await c.command(['FLUSHALL']);
          if (r[0] === T_ERROR)
            throw new Error(`${m.target.label}: FLUSHALL: ${r.toString('latin1').trim()}`);
        } finally {
          c.close();
        }
      }
    const started = Date.now();
    const one = async (m: (typeof plans)[number]): Promise<MasterFill> => {
      let next = 0;
      const take = (n: number): string[] => {
        const keys: string[] = [];
        for (; keys.length < n && next < m.keys; next++)
          keys.push(`${f.keyPrefix}{${tags[m.slots[next % m.slots.length]]}}${next}`);
        return keys;
      };
      const written = { keys: 0, bytes: 0 };
      const conns = Math.max(1, Math.min(f.connections, Math.ceil(m.keys / f.pipeline)));
      await Promise.all(
        Array.from({ length: conns }, async () => {
          const socket = (await open(m.target)).socket;
          try {
            for (let keys = take(f.pipeline); keys.length > 0; keys = take(f.pipeline)) {
              await roundTrip(socket, setBatch(keys, values, f.valueSize), keys.length, m.target.label);
              written.keys += keys.length;
              written.bytes += keys.length * f.valueSize;
              done.keys += keys.length;
              done.bytes += keys.length * f.valueSize;
              progress(done, total);
            }
          } finally {
            socket.destroy();
          }
        }),
      );
      return { node: m.target.label, slots: m.slots.length, ...written };
    };
    const results: MasterFill[] = [];
    if (f.serial) for (const m of plans) results.push(await one(m));
    else results.push(...(await Promise.all(plans.map(one))));
    return { masters: results, seconds: (Date.now() - started) / 1000 };
  } finally {
    credentials.stop();
  }
}

/** Writes one batch and waits for its `count` replies; an error reply fails the fill, naming the node. */
function roundTrip(socket: net.Socket, batch: Buffer, count: number, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const scanner = new ReplyScanner();
    const frames = new FrameSplitter(scanner, () => scanner.inFrame);
    let left = count;
    const finish = (e: Error | null): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      socket.pause();
      if (e) reject(e);
      else resolve();
    };
    const onData = (chunk: Buffer): void => {
      try {
        frames.push(chunk, (frame) => {
          if (frame[0] === T_ERROR) throw new Error(`${label}: ${frame.toString('latin1').trim()}`);
          return --left > 0;
        });
      } catch (e) {
        return finish(e as Error);
      }
      if (left === 0) finish(null);
    };
    const onClose = (): void => finish(new Error(`${label} closed the connection`));
    const onError = (e: Error): void => finish(new Error(`${label}: ${describeError(e)}`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.write(batch);
    socket.resume();
  });
}
