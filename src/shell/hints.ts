import { type RespNode, decode, mapEntries, text } from '../resp/decode.js';
import { splitArgs } from './split-args.js';

/** One command or subcommand the server documents, and its arguments as one line of syntax. */
export interface HelpEntry {
  /** `['ZADD']`, or `['CONFIG', 'SET']` for a subcommand. */
  words: string[];
  params: string;
}

/**
 * The help the prompt gives, built from the connected server's COMMAND DOCS, so that it is right
 * for that server and its version: a hint of the arguments still to type, and completion of
 * command and subcommand names.
 */
export class CommandHelp {
  private readonly entries: HelpEntry[];

  constructor(docsReply: Buffer) {
    this.entries = parseDocs(docsReply);
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * What to show after the typed `line`: the arguments of the longest command name it starts
   * with, less those already typed, up to the first optional one. Null when nothing matches.
   */
  hint(line: string): string | null {
    const typed = splitArgs(line);
    if (!typed || typed.length === 0) return null;
    const words = typed.map((w) => w.toString('utf8').toUpperCase());
    let best: HelpEntry | null = null;
    for (const e of this.entries)
      if (
        e.words.length <= words.length &&
        e.words.every((w, i) => w === words[i]) &&
        e.words.length > (best?.words.length ?? 0)
      )
        best = e;
    if (!best) return null;
    let hint = best.params;
    let toRemove = words.length - best.words.length;
    while (toRemove > 0 && hint.length > 0 && hint[0] !== '[') {
      if (hint[0] === ' ') toRemove--;
      hint = hint.slice(1);
    }
    return /\s$/.test(line) ? hint : ' ' + hint;
  }

  /** Command and subcommand names that complete `line`, as whole lines. */
  complete(line: string): string[] {
    const typed = line.toUpperCase();
    return this.entries.map((e) => e.words.join(' ')).filter((full) => full.startsWith(typed));
  }
}

/** COMMAND DOCS (RESP2 or RESP3): each command, and each of its subcommands. */
function parseDocs(frame: Buffer): HelpEntry[] {
  const out: HelpEntry[] = [];
  const root = decode(frame);
  const add = (name: string, docs: RespNode): void => {
    const fields = new Map((mapEntries(frame, docs) ?? []).map(([k, v]) => [k, v]));
    const args = fields.get('arguments')?.children ?? [];
    out.push({ words: name.toUpperCase().split('|'), params: args.map((a) => argument(frame, a)).join(' ') });
    const subcommands = fields.get('subcommands');
    if (subcommands) for (const [sub, subDocs] of mapEntries(frame, subcommands) ?? []) add(sub, subDocs);
  };
  for (const [name, docs] of mapEntries(frame, root) ?? []) add(name, docs);
  return out.sort((a, b) => a.words.join(' ').localeCompare(b.words.join(' ')));
}

/** One argument's syntax as the server's docs describe it: `[NX|XX]`, `score member [score member ...]`. */
function argument(frame: Buffer, node: RespNode): string {
  const f = new Map((mapEntries(frame, node) ?? []).map(([k, v]) => [k, v]));
  const str = (k: string): string => {
    const v = f.get(k);
    return v && !v.children ? text(frame, v) : '';
  };
  const flags = new Set((f.get('flags')?.children ?? []).map((x) => text(frame, x)));
  const type = str('type');
  const inner = f.get('arguments')?.children ?? [];
  let repeat = '';
  if (['key', 'string', 'integer', 'double', 'pattern', 'unix-time', 'token'].includes(type))
    repeat = str('name');
  else if (type === 'oneof') repeat = inner.map((a) => argument(frame, a)).join('|');
  else if (type === 'block') repeat = inner.map((a) => argument(frame, a)).join(' ');
  let token = str('token');
  if (token && type !== 'pure-token') token += ' ';
  let out = token + repeat;
  if (flags.has('multiple')) out += ` [${flags.has('multiple_token') ? token : ''}${repeat} ...]`;
  return flags.has('optional') ? `[${out}]` : out;
}
