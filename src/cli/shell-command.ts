import type { Options } from 'yargs';
import { createLogger, describeError } from '../log.js';
import { biggestKeys, formatBigKeys } from '../shell/bigkeys.js';
import { CommandHelp } from '../shell/hints.js';
import { historyPath } from '../shell/history.js';
import { interactive } from '../shell/repl.js';
import { runCommand, runLine } from '../shell/run-line.js';
import { ShellSession } from '../shell/session.js';
import { splitArgs } from '../shell/split-args.js';
import { StartupError } from '../tunnel/errors.js';
import { type Extra, UsageError, optionsFrom } from './args.js';
import { OPTION_SPECS } from './option-specs.js';

/** How many keys --bigkeys and --memkeys list unless --top says otherwise. */
const DEFAULT_TOP = 10;

/** The cli's own options, beside the seed, TLS and AUTH options every command takes. */
const SHELL_SPECS = {
  raw: { type: 'boolean', describe: 'print replies raw (the default when the output is not a terminal)' },
  bigkeys: { type: 'boolean', describe: 'SCAN every master and list the largest keys of the whole cluster' },
  memkeys: { type: 'boolean', describe: 'the same as --bigkeys (both rank by MEMORY USAGE)' },
  top: { type: 'number', defaultDescription: String(DEFAULT_TOP), describe: 'how many keys --bigkeys lists' },
} as const satisfies Record<string, Options>;

const SHELL: Extra = {
  specs: SHELL_SPECS,
  usage:
    '$0 cli [seed] [options] [-3] [--raw|--no-raw] [@NODES] [COMMAND [ARGS...]]\n\n' +
    'The cluster at one prompt, routed as smart mode routes it (keys to their master, KEYS, SCAN and ' +
    'DBSIZE over every master, MGET and DEL split by slot), printed as redis-cli prints. With a command: ' +
    'run it and exit. With piped input: one command per line. On a terminal: an interactive prompt. ' +
    '@masters, @replicas, @all, @HOST:PORT or @NODEID send a line to those nodes instead.',
};

/** Options of every command that take a value (the rest are flags), to find where the command starts. */
const TAKES_VALUE = new Set(
  Object.entries({ ...OPTION_SPECS, ...SHELL_SPECS }).flatMap(([name, spec]) => {
    if ((spec as Options).type === 'boolean') return [];
    const alias = (spec as Options).alias;
    return [
      `--${name}`,
      ...(typeof alias === 'string' ? [alias.length === 1 ? `-${alias}` : `--${alias}`] : []),
    ];
  }),
);

/** The command line cut into the tool's words, the seed included, and the command's. */
function cut(argv: string[]): { tool: string[]; command: string[]; resp3: boolean } {
  const tool: string[] = [];
  let resp3 = false;
  let seedSeen = argv.includes('-h') || argv.includes('--host') || argv.some((a) => a.startsWith('--host='));
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i];
    if (w === '-3') resp3 = true;
    else if (w.startsWith('-') && w.length > 1 && !/^-\d/.test(w)) {
      tool.push(w);
      if (TAKES_VALUE.has(w) && i + 1 < argv.length) tool.push(argv[++i]);
    } else if (!seedSeen) {
      seedSeen = true;
      tool.push(w);
    } else return { tool, command: argv.slice(i), resp3 };
  }
  return { tool, command: [], resp3 };
}

/** `redis-cluster-tunnel cli ...`: resolves with the exit code. */
export async function shellCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { tool, command, resp3 } = cut(argv);
  let request;
  try {
    request = optionsFrom(tool, env, SHELL);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`redis-cluster-tunnel cli: ${e.message}\nTry cli --help.\n`);
    return 2;
  }
  const x = request.extra;
  const log = createLogger(request.options.logLevel === 'info' ? 'warn' : request.options.logLevel, 'text');
  for (const w of request.warnings) log.warn(w);
  let session: ShellSession;
  try {
    session = await ShellSession.open(request.options, log);
  } catch (e) {
    const why = e instanceof StartupError ? e.message : describeError(e);
    process.stderr.write(`redis-cluster-tunnel cli: ${why}\n`);
    return 1;
  }
  const out = (text: string): void => void process.stdout.write(Buffer.from(text, 'latin1'));
  const mode = x.raw === true || (x.raw === undefined && !process.stdout.isTTY) ? 'raw' : 'tty';
  try {
    if (resp3) await session.send([Buffer.from('HELLO'), Buffer.from('3')]);
    if (x.bigkeys || x.memkeys) {
      out(formatBigKeys(await biggestKeys(session, Number(x.top ?? DEFAULT_TOP))));
    } else if (command.length > 0) {
      const target = command[0].startsWith('@') ? command[0].slice(1) : null;
      const args = (target === null ? command : command.slice(1)).map((a) => Buffer.from(a));
      await runCommand(session, target, args, mode, out);
    } else if (process.stdin.isTTY) {
      const help = new CommandHelp(await session.send([Buffer.from('COMMAND'), Buffer.from('DOCS')]));
      const seed = session.tunnel.table.seed;
      const where = `${seed?.target.label ?? '?'} (${session.tunnel.table.topology})`;
      await interactive(session, help, (db) => `${where}${db ? `[${db}]` : ''}> `, historyPath(env));
    } else {
      await piped(session, mode, out);
    }
  } finally {
    await session.close();
  }
  return 0;
}

/** One command per line of standard input, as redis-cli reads a pipe. */
async function piped(session: ShellSession, mode: 'tty' | 'raw', out: (text: string) => void): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += (chunk as Buffer).toString('utf8');
  for (const line of input.split('\n')) {
    if (splitArgs(line)?.length === 0) continue;
    if ((await runLine(session, line, mode, out)) === 'quit' || session.closed) return;
  }
}
