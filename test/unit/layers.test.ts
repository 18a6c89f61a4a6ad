/**
 * The layers stay in order. The protocol core is free of I/O: no socket, TLS or logging imports
 * below the socket layer, nothing below the tunnel reaches up into it or the CLI, and the two
 * modes (pinned, smart) import nothing of each other. Static
 * imports, re-exports (`export … from`) and dynamic `import()` all count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const CORE = ['resp', 'topology', 'rewrite', 'protocol'];
/** Each folder, and the folders it must never import from. */
const NEVER: Record<string, RegExp> = {
  resp: /\/(topology|rewrite|protocol|net|upstream|client|pinned|smart|tunnel|status|fill|shell|cli)\//,
  topology: /\/(rewrite|protocol|net|upstream|client|pinned|smart|tunnel|status|fill|shell|cli)\//,
  rewrite: /\/(protocol|net|upstream|client|pinned|smart|tunnel|status|fill|shell|cli)\//,
  protocol: /\/(net|upstream|client|pinned|smart|tunnel|status|fill|shell|cli)\//,
  net: /\/(upstream|client|pinned|smart|tunnel|status|fill|shell|cli)\//,
  upstream: /\/(client|pinned|smart|tunnel|status|fill|shell|cli)\//,
  // A client's connection as both modes take it: below the modes, above the connections to nodes.
  client: /\/(pinned|smart|tunnel|status|fill|shell|cli)\//,
  // The two modes share what lies below them, and nothing of each other.
  pinned: /\/(smart|tunnel|status|fill|shell|cli)\//,
  smart: /\/(pinned|tunnel|status|fill|shell|cli)\//,
  tunnel: /\/(status|fill|shell|cli)\//,
  status: /\/(fill|shell|cli)\//,
  fill: /\/(client|pinned|smart|status|shell|cli)\//,
  // The `cli` command's prompt: the tunnel in-process, as a client of smart mode's port.
  shell: /\/(client|pinned|smart|status|fill|cli)\//,
};

/** Every module specifier a file names: import/export … from '…', import '…', import('…'). */
function specifiers(text: string): string[] {
  const fromClause = /^\s*(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/gm;
  const bare = /^\s*import\s*['"]([^'"]+)['"]/gm;
  const dynamic = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [fromClause, bare, dynamic].flatMap((re) => [...text.matchAll(re)].map((m) => m[1]));
}

function filesOf(dir: string): string[] {
  return readdirSync(join(SRC, dir)).filter((f) => f.endsWith('.ts'));
}

describe('layers', () => {
  it('the checker sees re-exports and dynamic imports', () => {
    const text = [
      "import { a } from '../net/a.js';",
      "export { b } from '../net/b.js';",
      "export * from '../net/c.js';",
      "const d = await import('../net/d.js');",
      "import '../net/e.js';",
    ].join('\n');
    expect(specifiers(text).sort()).toEqual([
      '../net/a.js',
      '../net/b.js',
      '../net/c.js',
      '../net/d.js',
      '../net/e.js',
    ]);
  });

  for (const dir of CORE) {
    it(`src/${dir} imports neither net, tls nor winston, nor the socket layer`, () => {
      const files = filesOf(dir);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const bad = specifiers(readFileSync(join(SRC, dir, f), 'utf8')).filter((m) =>
          /^(node:)?(net|tls|child_process|fs)$|^winston$|\/(net|upstream|pinned)\/|\/log\.js$/.test(m),
        );
        expect(bad, `${dir}/${f}`).toEqual([]);
      }
    });
  }

  for (const [dir, never] of Object.entries(NEVER)) {
    it(`src/${dir} imports nothing from the layers above it`, () => {
      for (const f of filesOf(dir)) {
        const up = specifiers(readFileSync(join(SRC, dir, f), 'utf8')).filter((m) => never.test(m));
        expect(up, `${dir}/${f}`).toEqual([]);
      }
    });
  }

  it('no file imports itself through others, type-only imports included (src, scripts, bench)', () => {
    const files = ['src', 'scripts', 'bench'].flatMap((d) => tsFilesUnder(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    const graph = new Map(files.map((f) => [f, localImports(f)]));
    expect(cyclesOf(graph).map((c) => c.map((f) => f.slice(ROOT.length + 1)).join(' -> '))).toEqual([]);
  });

  it('the cycle finder sees a loop through three files, and none where there is none', () => {
    const loop = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cyclesOf(loop)).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      cyclesOf(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });
});

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFilesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The project files `file` imports (relative specifiers, `.js` read as the `.ts` beside it). */
function localImports(file: string): string[] {
  return specifiers(readFileSync(file, 'utf8'))
    .filter((m) => m.startsWith('.'))
    .map((m) => resolve(dirname(file), m).replace(/\.js$/, '.ts'));
}

/** One path per loop found in `graph` (depth first), each from a file back to itself. */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const done = new Set<string>();
  const onPath: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    const at = onPath.indexOf(f);
    if (at >= 0) return void cycles.push([...onPath.slice(at), f]);
    if (done.has(f)) return;
    onPath.push(f);
    for (const next of graph.get(f) ?? []) visit(next);
    onPath.pop();
    done.add(f);
  };
  for (const f of graph.keys()) visit(f);
  return cycles;
}
