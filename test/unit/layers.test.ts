/** The protocol core stays free of I/O: no socket, TLS or logging imports below the socket layer. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..', '..', 'src');
const CORE = ['resp', 'protocol', 'rewrite', 'topology'];

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

describe('layers', () => {
  for (const dir of CORE) {
    it(`src/${dir} imports neither net, tls nor winston, nor the socket layer`, () => {
      const files = readdirSync(join(SRC, dir)).filter((f) => f.endsWith('.ts'));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const bad = imports(join(SRC, dir, f)).filter((m) =>
          /^(node:)?(net|tls)$|^winston$|\/net\/|\/log\.js$|\/tunnel\.js$/.test(m),
        );
        expect(bad, `${dir}/${f}`).toEqual([]);
      }
    });
  }
});
