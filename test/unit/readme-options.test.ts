/**
 * The README's options table is written by hand for readers; this keeps it true to the option
 * specs yargs is built from: every option is there, nothing else is, and each default it states
 * is the one the specs show.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTION_SPECS } from '../../src/cli/option-specs.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The rows of the table under "## Options": first cell and the rest. */
function optionRows(): Array<{ names: string[]; meaning: string }> {
  const section = README.slice(
    README.indexOf('\n## Options\n'),
    README.indexOf('\n## ', README.indexOf('\n## Options\n') + 1),
  );
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      // Cells are separated by " | "; a `\|` inside a cell is part of it.
      const [, first, meaning] = /^\| (.*?) \|(.*)\|$/.exec(l) ?? ['', '', ''];
      return { names: [...first.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]), meaning };
    });
}

describe("the README's options table", () => {
  const rows = optionRows();
  const documented = new Set(rows.flatMap((r) => r.names));

  it('names every option of the specs, and only those (with --no-share, --no-hot-keys, --help and --version)', () => {
    const specs = Object.keys(OPTION_SPECS);
    for (const name of specs) expect(documented.has(name), `--${name} is not in the README`).toBe(true);
    const extra = [...documented].filter((n) => !specs.includes(n));
    expect(extra.sort()).toEqual(['help', 'no-hot-keys', 'no-share', 'version']);
  });

  it('states each default as the specs show it', () => {
    const withDefault = Object.entries(OPTION_SPECS).filter(
      ([, spec]) => 'defaultDescription' in spec && spec.defaultDescription !== undefined,
    );
    expect(withDefault.length).toBeGreaterThanOrEqual(12);
    for (const [name, spec] of withDefault) {
      const row = rows.find((r) => r.names[0] === name || r.names.includes(name));
      const shown = String((spec as { defaultDescription: string }).defaultDescription);
      const text = row?.meaning ?? '';
      // A boolean that defaults to true is said as "default: <its name>"; a choice as "`x` (default)".
      const said = shown === 'true' ? name : shown;
      const says =
        new RegExp(`default:? \`?${said.replace(/[.]/g, '\\.')}\\b`).test(text) ||
        text.includes(`\`${said}\` (default)`);
      expect(says, `--${name}: the README should say "default ${shown}": ${text}`).toBe(true);
    }
  });
});
