import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

/** Options that hold a secret: read from a file only when nobody else can read the file. */
export const SECRET_OPTIONS = ['pass', 'local-password'] as const;

/** Options naming files: in a config file, relative to the config file's own directory. */
const PATH_OPTIONS = ['cacert', 'cert', 'key', 'ready-file'];

/** Thrown for a config file that cannot be used; the CLI reports it as a usage error. */
export class ConfigFileError extends Error {}

function hasSecret(options: Record<string, unknown>): string | undefined {
  const named = SECRET_OPTIONS.find((k) => options[k] !== undefined);
  if (named) return named;
  // A seed URL with a password in it is a secret too.
  const seed = options.seed;
  if (typeof seed === 'string' && /^rediss?:\/\/[^/@]*:[^/@]*@/.test(seed)) return 'seed (its password)';
  return undefined;
}

/**
 * Reads a `--config` file: YAML or JSON (YAML reads both), with the flags' own names as keys
 * (`smart-port: 6380`, `map: [...]`). A file holding a password must be mode 0600 or stricter,
 * or the tunnel refuses to start: a password another user can read is no secret, and silently
 * ignoring it would leave the user wondering why AUTH fails.
 */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (e) {
    throw new ConfigFileError(`cannot read the config file ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (e) {
    throw new ConfigFileError(`the config file ${path} is neither YAML nor JSON: ${(e as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigFileError(`the config file ${path} must hold a mapping of option names to values`);
  const options = { ...(parsed as Record<string, unknown>) };
  const secret = hasSecret(options);
  if (secret && (mode & 0o077) !== 0) {
    throw new ConfigFileError(
      `the config file ${path} holds ${secret} but others may read it (mode ${(mode & 0o777).toString(8)}): ` +
        `chmod 600 it, or give the password in REDISCLI_AUTH`,
    );
  }
  for (const key of PATH_OPTIONS) {
    const value = options[key];
    if (typeof value === 'string' && !isAbsolute(value)) options[key] = resolve(dirname(path), value);
  }
  return options;
}
