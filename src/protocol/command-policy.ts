import type { CommandInfo, CommandTable } from './command-table.js';
import { SUB_FAMILY_COMMANDS } from './commands.js';

/**
 * The one place both modes ask what a command may do to a connection. The table is an allow-list,
 * built at startup from the server's own COMMAND reply: a command is shared only when the server
 * describes it and nothing in its flags or in the overrides below says it reads or changes the
 * connection it is sent on, or can hold it. A command the server does not describe (unknown,
 * renamed, a module's) is never shared.
 *
 * Where a request goes:
 * - `shared`: a connection other clients' requests use too;
 * - `shared-write`: the same, but one kept for requests a node holds while it pauses writes
 *   (CLIENT PAUSE WRITE, a manual failover): flagged `write` or `may_replicate`, as the node
 *   decides. A held write then holds only the writes behind it, never others' reads;
 * - `own`: the client's own connection;
 * - `label`: names the connection (CLIENT SETNAME, CLIENT SETINFO, HELLO). Pinned mode sends it on
 *   the shared connection and replays it on the client's own later (see shared-steps.ts); smart
 *   mode sends it on the client's own;
 * - `login`: AUTH. A node checks it, then the client's requests take the shared connections of
 *   that login (see checkLogin);
 * - `tunnel`: the tunnel answers it (QUIT, and what must not pass).
 */
export type Placement = 'shared' | 'shared-write' | 'own' | 'label' | 'login' | 'tunnel';

/** Flags with which a node holds a command while it pauses writes. */
const PAUSED_BY_WRITE_PAUSE: readonly string[] = ['write', 'may_replicate'];

/**
 * Commands a node also holds while it pauses writes, by a flag (`may_replicate`) its COMMAND reply
 * hides: scripts and functions that may write, PUBLISH (it enters the replication stream), PFCOUNT
 * (it may rewrite the key's cache), and SCRIPT LOAD and FLUSH (held by servers before 7.2).
 */
const HIDDEN_MAY_REPLICATE: readonly string[] = [
  'eval',
  'evalsha',
  'fcall',
  'pfcount',
  'publish',
  'spublish',
  'script|load',
  'script|flush',
];

/**
 * Commands that read or change the state of the connection they arrive on, or turn it into a
 * stream, whatever their flags say: who is logged in, protocol, database, read-only mode, ASKING,
 * transactions, subscriptions, MONITOR, replication, RESET, and the commands that count the
 * connection's own writes (WAIT, WAITAOF). CLIENT is decided per subcommand below.
 */
const CONNECTION_BOUND: readonly string[] = [
  'select',
  'readonly',
  'readwrite',
  'asking',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  ...SUB_FAMILY_COMMANDS,
  'monitor',
  'sync',
  'psync',
  'replconf',
  'reset',
  'wait',
  'waitaof',
];

/**
 * Commands that can hold their connection until something happens elsewhere. Servers from 7.0 on
 * flag them `blocking`; older ones do not, so they are named here as well.
 */
const HOLDING: readonly string[] = [
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'xread',
  'xreadgroup',
];

/**
 * Flags that keep a command off shared connections: `blocking` (it may hold the connection),
 * `admin` (configuration, replication, DEBUG SLEEP, CLIENT KILL: rare, and some hold the
 * connection or act on it), `module` (a module's command may block its client in ways no flag
 * describes).
 */
const UNSHARED_FLAGS: readonly string[] = ['blocking', 'admin', 'module'];

/** Subcommands placed by name: `container|sub`. CLIENT's other subcommands act on the connection. */
const BY_NAME: Record<string, Placement> = {
  quit: 'tunnel',
  auth: 'login',
  // HELLO without AUTH picks a protocol and may name the connection; with AUTH it takes the
  // client's own (see shared-steps.ts, and smart mode's client).
  hello: 'label',
  'client|setname': 'label',
  'client|setinfo': 'label',
  'client|maint_notifications': 'tunnel',
};

/** What the tunnel's request parsers can match by name (see NameMatcher). */
const MATCHABLE = /^[a-z_-]+$/;

/** How the replies of a command sent to several nodes become the one reply the client gets. */
export type Merge =
  /** Integers added up (DBSIZE, DEL, EXISTS, UNLINK, TOUCH). */
  | 'sum'
  /** The smallest integer (WAIT). */
  | 'min'
  /** Every node must succeed; the client gets the first reply (FLUSHALL, MSET, SCRIPT LOAD). */
  | 'all-ok'
  /** Arrays concatenated (KEYS). */
  | 'concat'
  /** Arrays of 0/1 combined element by element with AND (SCRIPT EXISTS). */
  | 'and'
  /** The first reply that is not null (RANDOMKEY). */
  | 'first-non-null'
  /** Array elements put back in the client's key order (MGET). */
  | 'key-order'
  /** INFO: every section as the first node gives it, the Keyspace section summed over all. */
  | 'info';

/*
 * Smart mode's routing: where the server's request and response tips decide, and the overrides.
 */

/**
 * What the command tips cannot say, in one place. Commands answered as one server would by the
 * connection's home node (PING has an all_shards tip, but one server answers one PONG); those a
 * split would break (MSETNX is all or nothing); keyless fan-outs whose tips name no merge; and what
 * smart mode does not serve, with the reason.
 */
export const HOME = new Set(['ping', 'echo', 'time', 'info', 'hello', 'select', 'client', 'command']);
/** INFO sections that hold the keyspace: those are asked of every master and summed. */
export const INFO_KEYSPACE = new Set(['keyspace', 'all', 'everything', 'default']);
export const NEVER_SPLIT = new Set(['msetnx']);
export const FANOUT: Record<string, Merge> = { keys: 'concat', randomkey: 'first-non-null' };
/** What one port for the whole cluster cannot be, with the reason given to the client. */
export const UNSERVED: Record<string, string> = {
  sync: 'a replica copies one node, and this port is every node',
  psync: 'a replica copies one node, and this port is every node',
};

export const MERGES: Record<string, Merge> = {
  agg_sum: 'sum',
  agg_min: 'min',
  agg_logical_and: 'and',
  all_succeeded: 'all-ok',
};

/** The policy table: see the top of this file. */
export class CommandPolicy {
  private readonly placements = new Map<string, Placement>();
  private readonly containerNames = new Set<string>();
  /** Commands whose one key is their first argument (GET, SET, HGET...): what hot keys sample. */
  private readonly keyFirst = new Set<string>();

  /** `table`: the server's COMMAND reply; null when it could not be read (nothing is shared). */
  constructor(table: CommandTable | null) {
    for (const [name, placement] of Object.entries(BY_NAME)) this.placements.set(name, placement);
    if (!table) return;
    for (const info of table.all()) {
      if (info.subcommands.size === 0) {
        if (info.singleKey === 1) this.keyFirst.add(info.name);
        this.classify(info, false);
        continue;
      }
      this.containerNames.add(info.name);
      for (const sub of info.subcommands.values()) this.classify(sub, info.name === 'client');
    }
  }

  private classify(info: CommandInfo, connectionBound: boolean): void {
    if (this.placements.has(info.name)) return;
    const shared =
      !connectionBound &&
      MATCHABLE.test(info.name.split('|')[0]) &&
      !CONNECTION_BOUND.includes(info.name) &&
      !HOLDING.includes(info.name) &&
      !UNSHARED_FLAGS.some((f) => info.flags.has(f));
    const writes =
      HIDDEN_MAY_REPLICATE.includes(info.name) || PAUSED_BY_WRITE_PAUSE.some((f) => info.flags.has(f));
    this.placements.set(info.name, shared ? (writes ? 'shared-write' : 'shared') : 'own');
  }

  /**
   * Where `name` goes (lower case); for a command with subcommands, `sub` names the subcommand
   * (any case; null when absent or unreadable). What the table does not hold takes `own`.
   */
  placementOf(name: string, sub: string | null = null): Placement {
    if (!this.containerNames.has(name)) return this.placements.get(name) ?? 'own';
    if (sub === null) return 'own';
    return this.placements.get(`${name}|${sub.toLowerCase()}`) ?? 'own';
  }

  /** Whether `name`'s one key is its first argument (the one a hot-key sample reads). */
  keyIsFirst(name: string): boolean {
    return this.keyFirst.has(name);
  }

  /** `placementOf` for a parsed request: its name and arguments. */
  placementOfRequest(name: string, args: readonly Buffer[]): Placement {
    const sub = this.containerNames.has(name) && args.length > 1 ? args[1].toString('latin1') : null;
    return this.placementOf(name, sub);
  }

  /** Commands with subcommands: a parser captures their second argument for `placementOf`. */
  get containers(): readonly string[] {
    return (this.parserNames ??= this.namesForParsers()).containers;
  }

  /**
   * The names a request parser must recognise to ask `placementOf`: every shared command without
   * subcommands, every command with them, and those placed by name. Made once: parsers made per
   * client share the one list (see NameMatcher.of).
   */
  get names(): readonly string[] {
    return (this.parserNames ??= this.namesForParsers()).names;
  }

  private parserNames: { names: string[]; containers: string[] } | undefined;

  private namesForParsers(): { names: string[]; containers: string[] } {
    const names = new Set<string>();
    for (const [name, placement] of this.placements) {
      const top = name.split('|')[0];
      if (MATCHABLE.test(top) && (placement !== 'own' || name !== top)) names.add(top);
    }
    return { names: [...names], containers: [...this.containerNames] };
  }

  /** Whether requests placed so may go on a connection others use. */
  static isShared(placement: Placement): placement is 'shared' | 'shared-write' {
    return placement === 'shared' || placement === 'shared-write';
  }

  /** Every classified name (`container|sub` for subcommands) and its placement, for tests and docs. */
  entries(): Array<[string, Placement]> {
    return [...this.placements];
  }
}
