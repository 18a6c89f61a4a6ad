import * as readline from 'node:readline';
import { formatReply } from './format.js';
import type { CommandHelp } from './hints.js';
import { HISTORY_LINES, carriesSecret, loadHistory, remember } from './history.js';
import { runLine } from './run-line.js';
import type { ShellSession } from './session.js';

/** Grey, as redis-cli draws its hints. */
const HINT_COLOUR = '\x1b[90m';
const RESET = '\x1b[0m';

/**
 * The interactive prompt on a terminal: line editing and history (the file leaves out lines that
 * carry secrets), completion of command names, and a hint of the arguments still to type, drawn
 * after the cursor as the line changes. Formatted replies. Resolves when the user quits.
 */
export async function interactive(
  session: ShellSession,
  help: CommandHelp,
  prompt: (db: number) => string,
  historyFile: string,
): Promise<void> {
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history: loadHistory(historyFile),
    historySize: HISTORY_LINES,
    removeHistoryDuplicates: false,
    completer: (line: string) => [help.complete(line), line],
  });
  let db = 0;
  const drawHint = (): void => {
    const line = rl.line;
    if (rl.cursor !== line.length) return;
    const hint = line.trim() === '' ? null : help.hint(line);
    process.stdout.write('\x1b[K');
    if (hint) process.stdout.write(`${HINT_COLOUR}${hint}${RESET}\x1b[${hint.length}D`);
  };
  process.stdin.on('keypress', () => setImmediate(drawHint));
  session.onUnsolicited = (frame) => process.stdout.write(Buffer.from(formatReply(frame, 'tty'), 'latin1'));
  rl.setPrompt(prompt(db));
  rl.prompt();
  for await (const line of rl) {
    process.stdout.write('\x1b[K');
    // readline kept the line in its history: a secret leaves it again.
    if (carriesSecret(line)) (rl as unknown as { history: string[] }).history.shift();
    else if (line.trim()) remember(historyFile, line);
    const started = Date.now();
    let quit = false;
    await runLine(session, line, 'tty', (text) => {
      process.stdout.write(Buffer.from(text, 'latin1'));
      const selected = /^\s*select\s+(\d+)\s*$/i.exec(line);
      if (selected && text === 'OK\n') db = Number(selected[1]);
    }).then((r) => (quit = r === 'quit'));
    if (quit || session.closed) break;
    const elapsed = Date.now() - started;
    if (elapsed >= 500) process.stdout.write(`(${(elapsed / 1000).toFixed(2)}s)\n`);
    rl.setPrompt(prompt(db));
    rl.prompt();
  }
  rl.close();
}
