import winston from 'winston';

/** What components log through. Created once by the entry point and handed down. */
export type Logger = winston.Logger;

const SECRET_KEYS = /^(pass(word)?|auth|token|secret|credentials?)$/i;

/**
 * Belt and braces: components never pass secrets to the logger, and this format blanks any
 * field whose name says it is one, in case a future change does.
 */
const redact = winston.format((info) => {
  for (const key of Object.keys(info)) if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
  return info;
});

export function createLogger(
  level: string,
  format: 'text' | 'json',
  stream: NodeJS.WritableStream = process.stderr,
): Logger {
  const text = winston.format.printf((info) => {
    const { level: lvl, message, timestamp, worker, component, node, conn, ...rest } = info;
    const by = worker === undefined ? undefined : `worker ${String(worker)}`;
    const where = [by, component, node, conn].filter((x) => x !== undefined).join(' ');
    const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
    return `${String(timestamp)} ${lvl.padEnd(5)} ${where ? `[${where}] ` : ''}${String(message)}${extra}`;
  });
  return winston.createLogger({
    level,
    format: winston.format.combine(
      redact(),
      winston.format.timestamp(),
      format === 'json' ? winston.format.json() : text,
    ),
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** A failure that names the node it happened at (NodeError, DiscoveryError). */
interface NodeFailure {
  node: string;
  reason: string;
}

function isNodeFailure(e: unknown): e is NodeFailure {
  return (
    e instanceof Error &&
    typeof (e as Partial<NodeFailure>).node === 'string' &&
    typeof (e as Partial<NodeFailure>).reason === 'string'
  );
}

/**
 * One error as one line of log text, the same way everywhere: `node: reason` for a node failure
 * (just the reason with `withNode: false`, where the line names the node already), else the message.
 */
export function describeError(e: unknown, o: { withNode: boolean } = { withNode: true }): string {
  if (isNodeFailure(e)) return o.withNode ? `${e.node}: ${e.reason}` : e.reason;
  if (e instanceof Error) return e.message;
  return String(e);
}
