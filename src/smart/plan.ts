import { hashSlot } from '../topology/hash-slot.js';
import { type CommandInfo, type CommandTable, commandName, keyIndexes } from './command-table.js';
import type { Lane } from './lanes.js';
import type { Merge } from './merge.js';

/** One piece of a command split by slot. `positions`: where its keys stand in the client's order. */
export interface Part {
  slot: number;
  args: Buffer[];
  positions: number[];
}

/** How smart mode serves one request. */
export type Plan =
  /** To the master of `slot`; keyless commands (slot undefined) go to the connection's home node. */
  | { kind: 'node'; slot: number | undefined; lane: Lane }
  /** Split by slot, the replies merged. */
  | { kind: 'split'; parts: Part[]; merge: Merge }
  /** To every master, the replies merged. */
  | { kind: 'fanout'; merge: Merge }
  /** SCAN over every master behind one cursor. */
  | { kind: 'scan' }
  /** Answered by the tunnel with this error, sent nowhere. */
  | { kind: 'refuse'; error: string };

/** The cluster's own answer when a command's keys are in different slots. */
export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

/**
 * What the command tips cannot say, in one place. Commands answered as one server would by the
 * connection's home node (PING has an all_shards tip, but one server answers one PONG); those a
 * split would break (MSETNX is all or nothing); keyless fan-outs whose tips name no merge; and what
 * smart mode does not serve, with the reason.
 */
const HOME = new Set(['ping', 'echo', 'time', 'info', 'hello', 'select', 'client', 'command']);
/** INFO sections that hold the keyspace: those are asked of every master and summed. */
const INFO_KEYSPACE = new Set(['keyspace', 'all', 'everything', 'default']);
/**
 * Commands that hold a connection or change its state: they take the client's own connection,
 * never the shared one (AUTH there would change the user of every client on it). Commands flagged
 * `blocking` by the server join them.
 */
const OWN_CONNECTION = new Set(['hello', 'select', 'client', 'auth', 'readonly', 'readwrite']);
const NEVER_SPLIT = new Set(['msetnx']);
const FANOUT: Record<string, Merge> = { keys: 'concat', randomkey: 'first-non-null' };
/** What one port for the whole cluster cannot be, with the reason given to the client. */
const UNSERVED: Record<string, string> = {
  sync: 'a replica copies one node, and this port is every node',
  psync: 'a replica copies one node, and this port is every node',
};

const MERGES: Record<string, Merge> = {
  agg_sum: 'sum',
  agg_min: 'min',
  agg_logical_and: 'and',
  all_succeeded: 'all-ok',
};

/**
 * What a command name alone decides, worked out once per name: a fixed plan, a key at a fixed
 * place (most traffic), or a look at the whole request.
 */
type Route = { fixed: Plan } | { key: number; lane: Lane } | { general: true };

/**
 * Plans requests against the server's command table. What depends on the name alone is kept per
 * name, so a GET or SET costs a map look-up and a hash of its key.
 */
export class Planner {
  private readonly routes = new Map<string, Route>();

  constructor(readonly commands: CommandTable) {}

  plan(args: Buffer[], name = commandName(args)): Plan {
    let route = this.routes.get(name);
    if (!route) this.routes.set(name, (route = routeOf(this.commands, name)));
    if ('fixed' in route) return route.fixed;
    if ('key' in route && route.key < args.length)
      return { kind: 'node', slot: hashSlot(args[route.key]), lane: route.lane };
    return plan(this.commands, args, name);
  }
}

function routeOf(table: CommandTable, name: string): Route {
  if (Object.hasOwn(UNSERVED, name) || name === 'scan' || HOME.has(name))
    return name === 'info' ? { general: true } : { fixed: plan(table, [Buffer.from(name)], name) };
  if (Object.hasOwn(FANOUT, name)) return { fixed: { kind: 'fanout', merge: FANOUT[name] } };
  const info = table.lookup([Buffer.from(name)], name);
  if (!info) return { fixed: { kind: 'node', slot: undefined, lane: laneOf(name) } };
  if (info.singleKey > 0) return { key: info.singleKey, lane: laneOf(name, info) };
  return { general: true };
}

function laneOf(name: string, info?: CommandInfo): Lane {
  return OWN_CONNECTION.has(name) || info?.flags.has('blocking') ? 'own' : 'shared';
}

/** Plans one request from scratch. */
export function plan(table: CommandTable, args: Buffer[], name = commandName(args)): Plan {
  if (Object.hasOwn(UNSERVED, name)) {
    return {
      kind: 'refuse',
      error: `ERR redis-cluster-tunnel smart mode does not serve ${name.toUpperCase()}: ${UNSERVED[name]}; use pinned mode for it`,
    };
  }
  if (name === 'scan') return { kind: 'scan' };
  if (
    name === 'info' &&
    (args.length === 1 || args.some((a) => INFO_KEYSPACE.has(a.toString('latin1').toLowerCase())))
  )
    return { kind: 'fanout', merge: 'info' };
  if (HOME.has(name)) return { kind: 'node', slot: undefined, lane: laneOf(name) };
  if (Object.hasOwn(FANOUT, name)) return { kind: 'fanout', merge: FANOUT[name] };
  const info = table.lookup(args, name);
  // A command the server does not know is the server's to refuse.
  if (!info) return { kind: 'node', slot: undefined, lane: laneOf(name) };
  const lane = laneOf(name, info);
  const keys = keyIndexes(info, args);
  if (keys.length === 0) return keyless(info, lane);
  const slots = keys.map((i) => hashSlot(args[i]));
  if (slots.every((s) => s === slots[0])) return { kind: 'node', slot: slots[0], lane };
  if (info.requestPolicy !== 'multi_shard' || NEVER_SPLIT.has(name))
    return { kind: 'refuse', error: CROSSSLOT };
  return split(info, args, keys, slots);
}

function keyless(info: CommandInfo, lane: Lane): Plan {
  if (info.requestPolicy === 'all_shards' || info.requestPolicy === 'all_nodes') {
    const merge = MERGES[info.responsePolicy ?? ''];
    if (merge) return { kind: 'fanout', merge };
  }
  return { kind: 'node', slot: undefined, lane };
}

/** Splits a multi-key command into one part per slot: each key keeps the values that follow it. */
function split(info: CommandInfo, args: Buffer[], keys: number[], slots: number[]): Plan {
  const step = Math.max(info.step, 1);
  const prefix = args.slice(0, keys[0]);
  const bySlot = new Map<number, Part>();
  keys.forEach((index, ordinal) => {
    const slot = slots[ordinal];
    let part = bySlot.get(slot);
    if (!part) bySlot.set(slot, (part = { slot, args: [...prefix], positions: [] }));
    part.args.push(...args.slice(index, index + step));
    part.positions.push(ordinal);
  });
  const merge = MERGES[info.responsePolicy ?? ''] ?? 'key-order';
  return { kind: 'split', parts: [...bySlot.values()], merge };
}
