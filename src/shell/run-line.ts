import { describeError } from '../log.js';
import { keyIndexes } from '../protocol/command-table.js';
import { errorReply } from '../resp/encode.js';
import { hashSlot } from '../topology/hash-slot.js';
import { type OutputMode, formatReply, formatVerbatim, printsVerbatim } from './format.js';
import type { ShellSession } from './session.js';
import { splitArgs } from './split-args.js';
import { nodeHeader, nodesNamed } from './targets.js';

/** What a line did: go on, or end the session (QUIT, EXIT). */
export type LineResult = 'continue' | 'quit';

/**
 * Runs one line as redis-cli would: splits it, repeats it when it starts with a count
 * (`3 INCR n`), sends it and prints the reply. A line that starts with `@` goes to the nodes it
 * names instead, each reply under a header naming the node. `out` gets the printed text (latin1).
 */
export async function runLine(
  session: ShellSession,
  line: string,
  mode: OutputMode,
  out: (text: string) => void,
): Promise<LineResult> {
  const trimmed = line.trim();
  if (trimmed === '') return 'continue';
  let target: string | null = null;
  let rest = trimmed;
  if (trimmed.startsWith('@')) {
    const space = trimmed.search(/\s/);
    target = space < 0 ? trimmed.slice(1) : trimmed.slice(1, space);
    rest = space < 0 ? '' : trimmed.slice(space + 1);
  }
  const args = splitArgs(rest);
  if (args === null) {
    out('Invalid argument(s)\n');
    return 'continue';
  }
  if (args.length === 0) {
    if (target !== null) out(`@${target} needs a command after it\n`);
    return 'continue';
  }
  let repeat = 1;
  if (args.length > 1 && /^-?\d+$/.test(args[0].toString('latin1'))) {
    repeat = Number(args[0].toString('latin1'));
    if (repeat <= 0) {
      out('Invalid redis-cli repeat command option value.\n');
      return 'continue';
    }
    args.shift();
  }
  const name = args[0].toString('latin1').toLowerCase();
  if (target === null && (name === 'quit' || name === 'exit')) return 'quit';
  for (let i = 0; i < repeat; i++) await runCommand(session, target, args, mode, out);
  return 'continue';
}

/** One command, already split: to the cluster, or (target) to the nodes it names. */
export async function runCommand(
  session: ShellSession,
  target: string | null,
  args: Buffer[],
  mode: OutputMode,
  out: (text: string) => void,
): Promise<void> {
  if (target !== null) return onNodes(session, target, args, mode, out);
  out(await printed(session, args, mode, await session.send(args)));
}

/** The reply as redis-cli prints it, with the nodes and a hash tag named after a CROSSSLOT error. */
async function printed(
  session: ShellSession,
  args: Buffer[],
  mode: OutputMode,
  reply: Buffer,
): Promise<string> {
  const words = args.map((a) => a.toString('latin1'));
  const text = mode === 'tty' && printsVerbatim(words) ? formatVerbatim(reply) : formatReply(reply, mode);
  if (!reply.toString('latin1', 0, 11).startsWith('-CROSSSLOT')) return text;
  return text + crossSlotAdvice(session, args);
}

/** Which node each key of a refused command is on, and a hash tag that would put them together. */
export function crossSlotAdvice(session: ShellSession, args: Buffer[]): string {
  const info = session.tunnel.commandTable?.lookup(args);
  if (!info) return '';
  const keys = keyIndexes(info, args).map((i) => args[i]);
  if (keys.length < 2) return '';
  const table = session.tunnel.table;
  const where = keys.map((k) => {
    const slot = hashSlot(k);
    return `${k.toString('latin1')} (slot ${slot}, ${table.ownerOf(slot)?.target.label ?? 'no node'})`;
  });
  const tag = keys[0].toString('latin1').replace(/[{}]/g, '') || 'tag';
  const tagged = keys.map((k) => `{${tag}}${k.toString('latin1')}`).join(' ');
  return (
    `(hint) ${args[0].toString('latin1').toUpperCase()} runs on one node, and its keys are on ${where.join(', ')}. ` +
    `Keys with one hash tag share a slot, e.g. ${tagged}\n`
  );
}

/** The command on every node `target` names, each reply under its node's header. */
async function onNodes(
  session: ShellSession,
  target: string,
  args: Buffer[],
  mode: OutputMode,
  out: (text: string) => void,
): Promise<void> {
  const nodes = nodesNamed(session.tunnel.table, target);
  if (typeof nodes === 'string') return out(`${nodes}\n`);
  const replies = await Promise.all(
    nodes.map((e) =>
      session
        .sendTo(e, args)
        .catch((err: unknown) => errorReply(`ERR ${e.target.label}: ${describeError(err)}`)),
    ),
  );
  const words = args.map((a) => a.toString('latin1'));
  nodes.forEach((e, i) => {
    const text =
      mode === 'tty' && printsVerbatim(words) ? formatVerbatim(replies[i]) : formatReply(replies[i], mode);
    out(nodeHeader(session.tunnel.table, e) + text);
  });
}
