import { type RespNode, decode, integer, isNull, text } from '../resp/decode.js';

/** Where a key spec starts looking: at an argument index, or after a keyword. */
type BeginSearch = { index: number } | { keyword: string; startFrom: number };

/** How a key spec finds keys from where the search began. */
type FindKeys =
  | { lastKey: number; keyStep: number; limit: number }
  | { keyNumIndex: number; firstKey: number; keyStep: number };

interface KeySpec {
  begin: BeginSearch;
  find: FindKeys;
}

/** What the server says about one command (or subcommand, named `container|sub`). */
export interface CommandInfo {
  name: string;
  /** Positive: exact argument count (name included); negative: at least -arity. */
  arity: number;
  flags: ReadonlySet<string>;
  firstKey: number;
  lastKey: number;
  step: number;
  /** The server's routing advice, e.g. `request_policy:all_shards`, `response_policy:agg_sum`. */
  requestPolicy?: string;
  responsePolicy?: string;
  keySpecs: KeySpec[];
  subcommands: Map<string, CommandInfo>;
  /**
   * The argument index of the only key, for commands that always have exactly one at a fixed place
   * (GET, SET, INCR, LPUSH...): most traffic, routed without working out key positions. 0 otherwise.
   */
  singleKey: number;
}

function str(buf: Buffer, n: RespNode | undefined): string {
  return n && !n.children && !isNull(n) ? text(buf, n) : '';
}

/** A RESP2 flat array or RESP3 map of key → value, as a Map. */
function fields(buf: Buffer, n: RespNode | undefined): Map<string, RespNode> {
  const out = new Map<string, RespNode>();
  const c = n?.children ?? [];
  for (let i = 0; i + 1 < c.length; i += 2) out.set(str(buf, c[i]).toLowerCase(), c[i + 1]);
  return out;
}

function num(buf: Buffer, n: RespNode | undefined): number {
  return n ? integer(buf, n) : NaN;
}

function parseKeySpec(buf: Buffer, node: RespNode): KeySpec | null {
  const f = fields(buf, node);
  const begin = fields(buf, f.get('begin_search'));
  const find = fields(buf, f.get('find_keys'));
  const bs = fields(buf, begin.get('spec'));
  const fs = fields(buf, find.get('spec'));
  let b: BeginSearch;
  if (str(buf, begin.get('type')) === 'index') b = { index: num(buf, bs.get('index')) };
  else if (str(buf, begin.get('type')) === 'keyword')
    b = { keyword: str(buf, bs.get('keyword')).toLowerCase(), startFrom: num(buf, bs.get('startfrom')) };
  else return null;
  let k: FindKeys;
  if (str(buf, find.get('type')) === 'range')
    k = {
      lastKey: num(buf, fs.get('lastkey')),
      keyStep: num(buf, fs.get('keystep')),
      limit: num(buf, fs.get('limit')),
    };
  else if (str(buf, find.get('type')) === 'keynum')
    k = {
      keyNumIndex: num(buf, fs.get('keynumidx')),
      firstKey: num(buf, fs.get('firstkey')),
      keyStep: num(buf, fs.get('keystep')),
    };
  else return null;
  return { begin: b, find: k };
}

function parseCommand(buf: Buffer, node: RespNode): CommandInfo | null {
  const e = node.children;
  if (!e || e.length < 6) return null;
  const tips = (e[7]?.children ?? []).map((t) => str(buf, t));
  const policy = (prefix: string): string | undefined =>
    tips.find((t) => t.startsWith(prefix))?.slice(prefix.length);
  const info: CommandInfo = {
    name: str(buf, e[0]).toLowerCase(),
    arity: num(buf, e[1]),
    flags: new Set((e[2].children ?? []).map((f) => str(buf, f).toLowerCase())),
    firstKey: num(buf, e[3]),
    lastKey: num(buf, e[4]),
    step: num(buf, e[5]),
    requestPolicy: policy('request_policy:'),
    responsePolicy: policy('response_policy:'),
    keySpecs: (e[8]?.children ?? []).map((s) => parseKeySpec(buf, s)).filter((s): s is KeySpec => s !== null),
    subcommands: new Map(),
    singleKey: 0,
  };
  for (const sub of e[9]?.children ?? []) {
    const s = parseCommand(buf, sub);
    if (s) info.subcommands.set(s.name.slice(s.name.indexOf('|') + 1), s);
  }
  info.singleKey = singleKeyIndex(info);
  return info;
}

function singleKeyIndex(info: CommandInfo): number {
  if (info.subcommands.size > 0 || Object.hasOwn(UNSPECIFIED_KEYS, info.name)) return 0;
  if (info.keySpecs.length === 0)
    return info.firstKey > 0 && info.lastKey === info.firstKey ? info.firstKey : 0;
  if (info.keySpecs.length > 1) return 0;
  const { begin, find } = info.keySpecs[0];
  return 'index' in begin && 'lastKey' in find && find.lastKey === 0 ? begin.index : 0;
}

/**
 * The server's own command table, from one COMMAND reply (RESP2 or RESP3): what smart mode
 * routes by. Commands the server does not know are the server's to refuse.
 */
export class CommandTable {
  private readonly commands = new Map<string, CommandInfo>();

  constructor(reply: Buffer) {
    const root = decode(reply);
    for (const c of root.children ?? []) {
      const info = parseCommand(reply, c);
      if (info) this.commands.set(info.name, info);
    }
  }

  get size(): number {
    return this.commands.size;
  }

  /** Every top-level command the server describes (subcommands inside each). */
  all(): IterableIterator<CommandInfo> {
    return this.commands.values();
  }

  /**
   * The entry for a request: its subcommand's when it has subcommands and one is named. `name` is
   * the lower-case command name when the caller has it already.
   */
  lookup(args: Buffer[], name = commandName(args)): CommandInfo | undefined {
    const top = this.commands.get(name);
    if (!top || top.subcommands.size === 0 || args.length < 2) return top;
    return top.subcommands.get(args[1].toString('latin1').toLowerCase()) ?? top;
  }

  /**
   * The error a server gives, before anything runs, to a command it does not have or one with the
   * wrong number of arguments, in its own words (as its processCommand puts them: at most 128
   * bytes of each name, arguments listed up to 128 bytes, line breaks as spaces); null for neither.
   * A transaction the tunnel queues answers with it as the node would.
   */
  refusal(args: Buffer[], name = commandName(args)): Buffer | null {
    const top = this.commands.get(name);
    const sub = top && top.subcommands.size > 0 && args.length >= 2 ? args[1].toString('latin1') : null;
    const info = sub === null ? top : top?.subcommands.get(sub.toLowerCase());
    let message: string | null = null;
    if (!info && top)
      message = `ERR unknown subcommand '${sub?.slice(0, 128)}'. Try ${name.toUpperCase()} HELP.`;
    else if (!info) {
      let listed = '';
      for (let i = 1; i < args.length && listed.length < 128; i++)
        listed += `'${args[i].toString('latin1').slice(0, 128 - listed.length)}' `;
      const typed = args[0].toString('latin1').slice(0, 128);
      message = `ERR unknown command '${typed}', with args beginning with: ${listed}`;
    } else if (info.arity >= 0 ? args.length !== info.arity : args.length < -info.arity)
      message = `ERR wrong number of arguments for '${info.name}' command`;
    return message === null ? null : Buffer.from(`-${message.replace(/[\r\n]/g, ' ')}\r\n`, 'latin1');
  }
}

/**
 * Keys that a key spec leaves to the server's own code (an `unknown` begin_search): SORT's STORE
 * destination, found by skipping options the way the server's sortGetKeys does.
 */
const UNSPECIFIED_KEYS: Record<string, (args: Buffer[]) => number[]> = {
  sort: (args) => {
    const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
    for (let i = 2; i < args.length; i++) {
      const word = args[i].toString('latin1').toLowerCase();
      if (word === 'store' && i + 1 < args.length) return [i + 1];
      i += skip[word] ?? 0;
    }
    return [];
  },
};

/** A request's command name, lower case: the one spelling every routing table here uses. */
export function commandName(args: Buffer[]): string {
  return args[0].toString('latin1').toLowerCase();
}

/** Argument indexes holding keys, by the key specs (or first/last/step when there are none). */
export function keyIndexes(info: CommandInfo, args: Buffer[]): number[] {
  const argc = args.length;
  const out = new Set<number>(UNSPECIFIED_KEYS[info.name]?.(args));
  if (info.keySpecs.length === 0) {
    if (info.firstKey <= 0) return [];
    const last = info.lastKey < 0 ? argc + info.lastKey : info.lastKey;
    for (let i = info.firstKey; i <= last && i < argc; i += Math.max(info.step, 1)) out.add(i);
    return [...out];
  }
  for (const spec of info.keySpecs) for (const i of specKeys(spec, args)) if (i > 0 && i < argc) out.add(i);
  return [...out].sort((a, b) => a - b);
}

function specKeys(spec: KeySpec, args: Buffer[]): number[] {
  const argc = args.length;
  let start: number;
  if ('index' in spec.begin) {
    start = spec.begin.index;
  } else {
    const { keyword, startFrom } = spec.begin;
    const from = startFrom >= 0 ? startFrom : argc + startFrom;
    const step = startFrom >= 0 ? 1 : -1;
    start = -1;
    for (let i = from; i > 0 && i < argc; i += step) {
      if (args[i].toString('latin1').toLowerCase() === keyword) {
        start = i + 1;
        break;
      }
    }
    if (start < 0) return [];
  }
  const out: number[] = [];
  const find = spec.find;
  if ('keyNumIndex' in find) {
    const count = Number(args[start + find.keyNumIndex]?.toString('latin1'));
    if (!Number.isInteger(count) || count < 0) return [];
    const first = start + find.firstKey;
    for (let i = 0; i < count; i++) out.push(first + i * Math.max(find.keyStep, 1));
    return out;
  }
  let last: number;
  if (find.lastKey >= 0) last = start + find.lastKey;
  else if (find.limit > 1) last = start + Math.floor((argc - start) / find.limit) - 1;
  else last = argc + find.lastKey;
  for (let i = start; i <= last && i < argc; i += Math.max(find.keyStep, 1)) out.push(i);
  return out;
}
