import type { TopologyReply } from '../rewrite/index.js';
import { helloVersion } from './hello.js';

/** Subscribe-family commands: their confirmations carry the command name as their first element. */
export type SubFamily =
  'subscribe' | 'psubscribe' | 'ssubscribe' | 'unsubscribe' | 'punsubscribe' | 'sunsubscribe';

export type CommandKind =
  | 'plain'
  | 'topology'
  | 'multi'
  | 'exec'
  | 'discard'
  | 'watch'
  | 'hello'
  /** AUTH: the connection's user changes when the node accepts it. */
  | 'login'
  | 'reset'
  | 'quit'
  | 'monitor'
  | 'sync'
  | 'client-reply'
  | 'subscribe'
  /** A request the tunnel itself sent (AUTH with a fresh token): its reply is not forwarded. */
  | 'internal';

/** What reply tracking needs to know about one request. */
export interface Command {
  kind: CommandKind;
  /** For `topology`: which reply rewriter applies. */
  topology?: TopologyReply;
  /** For `subscribe`: the family, and how many channels were named (0 = all current ones). */
  family?: SubFamily;
  channels?: number;
  /** For `hello`: the protocol asked for (0 when HELLO names none). */
  version?: number;
  /** For `hello`: it carries AUTH, so the connection's user changes when the node accepts it. */
  login?: boolean;
  /** For `client-reply`: on | off | skip, or undefined for a malformed call (answered by an error). */
  replyMode?: 'on' | 'off' | 'skip';
}

const PLAIN: Command = Object.freeze({ kind: 'plain' });
const simple = (kind: CommandKind): Command => Object.freeze({ kind });
const MULTI = simple('multi');
const EXEC = simple('exec');
const DISCARD = simple('discard');
const WATCH = simple('watch');
const RESET = simple('reset');
const QUIT = simple('quit');
const MONITOR = simple('monitor');
const SYNC = simple('sync');
const LOGIN = simple('login');
const topology = (t: TopologyReply): Command => Object.freeze({ kind: 'topology', topology: t });
const CLUSTER: Record<string, Command> = {
  slots: topology('slots'),
  nodes: topology('nodes'),
  shards: topology('shards'),
  replicas: topology('replicas'),
  slaves: topology('replicas'),
};

/** The subscribe family's command names. */
export const SUB_FAMILY_COMMANDS: readonly SubFamily[] = [
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
];
const SUB_FAMILY = new Set<string>(SUB_FAMILY_COMMANDS);

export function isSubFamily(name: string): name is SubFamily {
  return SUB_FAMILY.has(name);
}

/** Every command name reply tracking acts on; all others are answered by exactly one reply. */
export const TRACKED_COMMANDS: readonly string[] = [
  'multi',
  'exec',
  'discard',
  'watch',
  'reset',
  'quit',
  'monitor',
  'sync',
  'psync',
  'hello',
  'auth',
  'cluster',
  'client',
  ...SUB_FAMILY,
];

/**
 * Requests the tunnel may rewrite (MIGRATE's addresses and credentials, AUTH and HELLO under
 * --local-password): pinned mode sends those it does on the client's own connection.
 */
export const REWRITTEN_COMMANDS: ReadonlySet<string> = new Set(['migrate', 'auth', 'hello']);

/** Tracked commands whose second and third arguments matter (CLUSTER SLOTS, CLIENT REPLY, HELLO 3). */
export const COMMANDS_WITH_ARGUMENTS: readonly string[] = ['cluster', 'client', 'hello'];

/** What classifying a request reads of it: the parser's view (see RequestParser). */
export interface ParsedRequest {
  argc: number;
  name: string | null;
  arg1: string | null;
  arg2: string | null;
}

/**
 * Classifies a request. `name` is the lower-case name when it is one of TRACKED_COMMANDS (else
 * null); `arg1`/`arg2` are set for COMMANDS_WITH_ARGUMENTS.
 */
export function classify(
  argc: number,
  name: string | null,
  arg1: string | null,
  arg2: string | null,
): Command {
  if (name === null) return PLAIN;
  switch (name) {
    case 'multi':
      return MULTI;
    case 'exec':
      return EXEC;
    case 'discard':
      return DISCARD;
    case 'watch':
      return WATCH;
    case 'reset':
      return RESET;
    case 'quit':
      return QUIT;
    case 'monitor':
      return MONITOR;
    case 'sync':
    case 'psync':
      return SYNC;
    case 'auth':
      return LOGIN;
    case 'hello':
      // HELLO's options are AUTH (3 words) and SETNAME (2): five words or more hold an AUTH.
      return { kind: 'hello', version: helloVersion(arg1), login: argc >= 5 };
    case 'cluster': {
      const sub = arg1?.toLowerCase();
      return (sub !== undefined && Object.hasOwn(CLUSTER, sub) && CLUSTER[sub]) || PLAIN;
    }
    case 'client': {
      if (arg1?.toLowerCase() !== 'reply') return PLAIN;
      const mode = argc === 3 ? arg2?.toLowerCase() : undefined;
      return {
        kind: 'client-reply',
        replyMode: mode === 'on' || mode === 'off' || mode === 'skip' ? mode : undefined,
      };
    }
    default:
      if (isSubFamily(name)) return { kind: 'subscribe', family: name, channels: argc - 1 };
      return PLAIN;
  }
}

/** AUTH, or HELLO … AUTH: the node may change the connection's user. */
export function isLogin(cmd: Command): boolean {
  return cmd.kind === 'login' || cmd.login === true;
}

/** Commands whose effect on the reply stream cannot be followed once they are queued in MULTI. */
const UNSAFE_IN_TRANSACTION: ReadonlySet<CommandKind> = new Set<CommandKind>([
  'subscribe',
  'client-reply',
  'hello',
  'monitor',
  'sync',
]);

/** Commands that run at once even inside MULTI (the server never queues them). */
const NOT_QUEUED: ReadonlySet<CommandKind> = new Set<CommandKind>([
  'multi',
  'exec',
  'discard',
  'watch',
  'quit',
  'reset',
]);

export function unsafeInTransaction(cmd: Command): boolean {
  return UNSAFE_IN_TRANSACTION.has(cmd.kind);
}

export function notQueued(cmd: Command): boolean {
  return NOT_QUEUED.has(cmd.kind);
}
