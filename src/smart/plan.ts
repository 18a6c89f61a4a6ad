import { SAMPLE_EVERY } from '../net/hot-keys.js';
import { SUB_FAMILY_COMMANDS } from '../protocol/commands.js';
import { hashSlot, hashSlotAt } from '../topology/hash-slot.js';
import { type CommandInfo, type CommandTable, commandName, keyIndexes } from '../protocol/command-table.js';
import type { Lane } from './lanes.js';
import {
  CommandPolicy,
  type Merge,
  FANOUT,
  HOME,
  INFO_KEYSPACE,
  MERGES,
  NEVER_SPLIT,
  UNSERVED,
} from '../protocol/command-policy.js';

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
  | { kind: 'split'; parts: Part[]; merge: Merge; lane: Lane }
  /** To every master, the replies merged. */
  | { kind: 'fanout'; merge: Merge; lane: Lane }
  /** SCAN over every master behind one cursor. */
  | { kind: 'scan' }
  /** Answered by the tunnel with this error, sent nowhere. */
  | { kind: 'refuse'; error: string };

/** The cluster's own answer when a command's keys are in different slots. */
export const CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

/**
 * What a command name alone decides, worked out once per name: a fixed plan, a key at a fixed
 * place (most traffic), or a look at the whole request.
 */
type Route = { fixed: Plan } | KeyRoute | { general: true };

/** A command whose one key stands at a fixed place, and the lane it takes. */
export interface KeyRoute {
  key: number;
  lane: Lane;
  /** Whether it may go in a batch with its neighbours (see ReadBatch): the client adds no meaning. */
  batched: boolean;
}

/**
 * Single-key commands the smart client itself acts on (transactions, pub/sub, scripts): never in a
 * batch, always one by one through the client's own checks.
 */
const NOT_BATCHED = new Set<string>([
  'watch',
  'eval',
  'eval_ro',
  'evalsha',
  'evalsha_ro',
  ...SUB_FAMILY_COMMANDS,
]);

/**
 * Plans requests against the server's command table. What depends on the name alone is kept per
 * name, so a GET or SET costs a map look-up and a hash of its key.
 */
export class Planner {
  private readonly routes = new Map<string, Route>();
  /** Called with one single-key request's key in SAMPLE_EVERY (the status page's hot keys). */
  keySampler: ((key: Buffer, slot: number) => void) | null = null;
  private sampled = 0;
  private batchNameList: string[] | null = null;
  private lastName: string | null = null;
  private lastRoute: Route | null = null;

  constructor(
    readonly commands: CommandTable,
    /** The connection policy both modes share, built from the same table. */
    readonly policy: CommandPolicy = new CommandPolicy(commands),
  ) {}

  plan(args: Buffer[], name = commandName(args)): Plan {
    const route = this.route(name);
    if ('fixed' in route) return route.fixed;
    if ('key' in route && route.key < args.length)
      return { kind: 'node', slot: this.slotOf(args, route.key), lane: route.lane };
    return plan(this, args, name);
  }

  /** The command's key route when it may go in a batch and a request of `argc` arguments holds its key; else null. */
  batchRoute(name: string, argc: number): KeyRoute | null {
    const route = this.route(name);
    return 'key' in route && route.batched && route.key < argc ? route : null;
  }

  /**
   * Every command that may go in a batch (see batchRoute), for a parser to recognise by name: those
   * whose names are letters, `_` and `-` (module commands with a dot go the general way).
   */
  get batchNames(): readonly string[] {
    this.batchNameList ??= [...this.commands.all()]
      .map((info) => info.name)
      .filter((name) => /^[a-z][a-z_-]*$/.test(name) && this.batchRoute(name, Infinity) !== null);
    return this.batchNameList;
  }

  /** The slot of the key at `buf[start, start + length)`, read in place (sampled for hot keys). */
  slotAt(buf: Buffer, start: number, length: number): number {
    const slot = hashSlotAt(buf, start, start + length);
    if (this.keySampler && ++this.sampled % SAMPLE_EVERY === 0)
      this.keySampler(start === 0 && length === buf.length ? buf : buf.subarray(start, start + length), slot);
    return slot;
  }

  /** The slot of the key at `args[key]` (sampled for the status page's hot keys). */
  slotOf(args: Buffer[], key: number): number {
    return this.slotAt(args[key], 0, args[key].length);
  }

  private route(name: string): Route {
    // A pipeline repeats one command, mostly: the last route is at hand without a look-up.
    if (name === this.lastName) return this.lastRoute as Route;
    let route = this.routes.get(name);
    if (!route) this.routes.set(name, (route = routeOf(this, name)));
    this.lastName = name;
    this.lastRoute = route;
    return route;
  }
}

/** What planning reads: the server's table and the policy made from it. */
export interface PlanTables {
  commands: CommandTable;
  policy: CommandPolicy;
}

function routeOf(tables: PlanTables, name: string): Route {
  const only = [Buffer.from(name)];
  if (Object.hasOwn(UNSERVED, name) || name === 'scan' || HOME.has(name))
    return name === 'info' ? { general: true } : { fixed: plan(tables, only, name) };
  if (Object.hasOwn(FANOUT, name))
    return { fixed: { kind: 'fanout', merge: FANOUT[name], lane: laneOf(tables, name, only) } };
  const info = tables.commands.lookup(only, name);
  if (!info) return { fixed: { kind: 'node', slot: undefined, lane: laneOf(tables, name, only) } };
  if (info.singleKey > 0)
    return { key: info.singleKey, lane: laneOf(tables, name, only), batched: !NOT_BATCHED.has(name) };
  return { general: true };
}

function laneOf(tables: PlanTables, name: string, args: Buffer[]): Lane {
  const placement = tables.policy.placementOfRequest(name, args);
  if (!CommandPolicy.isShared(placement)) return 'own';
  // The server's own readonly flag makes a read that a replica may answer; scripts stay on
  // masters, where the tunnel's script cache loads them.
  const readOnly = tables.commands.lookup(args, name)?.flags.has('readonly');
  return placement === 'shared' && readOnly && !SCRIPTED.has(name) ? 'read' : placement;
}

/** Read-only script calls: they run where their script is loaded (a master). */
const SCRIPTED = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

/** Plans one request from scratch. */
export function plan(tables: PlanTables, args: Buffer[], name = commandName(args)): Plan {
  const table = tables.commands;
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
    return { kind: 'fanout', merge: 'info', lane: laneOf(tables, name, args) };
  const lane = laneOf(tables, name, args);
  if (HOME.has(name)) return { kind: 'node', slot: undefined, lane };
  if (Object.hasOwn(FANOUT, name)) return { kind: 'fanout', merge: FANOUT[name], lane };
  const info = table.lookup(args, name);
  // A command the server does not describe is the server's to refuse, on the client's own.
  if (!info) return { kind: 'node', slot: undefined, lane };
  const keys = keyIndexes(info, args);
  if (keys.length === 0) return keyless(info, lane);
  const slots = keys.map((i) => hashSlot(args[i]));
  if (slots.every((s) => s === slots[0])) return { kind: 'node', slot: slots[0], lane };
  if (info.requestPolicy !== 'multi_shard' || NEVER_SPLIT.has(name))
    return { kind: 'refuse', error: CROSSSLOT };
  return split(info, args, keys, slots, lane);
}

function keyless(info: CommandInfo, lane: Lane): Plan {
  if (info.requestPolicy === 'all_shards' || info.requestPolicy === 'all_nodes') {
    const merge = MERGES[info.responsePolicy ?? ''];
    if (merge) return { kind: 'fanout', merge, lane };
  }
  return { kind: 'node', slot: undefined, lane };
}

/** Splits a multi-key command into one part per slot: each key keeps the values that follow it. */
function split(info: CommandInfo, args: Buffer[], keys: number[], slots: number[], lane: Lane): Plan {
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
  return { kind: 'split', parts: [...bySlot.values()], merge, lane };
}
