import { readFileSync } from 'node:fs';

/** The package version, from package.json (from dist/src/ or src/, whichever this file runs from). */
export function version(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}
