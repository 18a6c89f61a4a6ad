import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { type NodeRow, nodeRows } from '../status/nodes.js';
import type { NodeTable } from '../topology/node-table.js';

/** Where clients go once the tunnel is ready: the ready file's content, and exec mode's variables. */
export interface ReadyState {
  mode: 'pinned' | 'smart' | 'both';
  /** What the seed turned out to be: a cluster, or a standalone primary with its replicas. */
  topology: 'cluster' | 'standalone';
  /** The seed's local listener (pinned and both), or null in smart mode. */
  seed: { host: string; port: number } | null;
  /** Smart mode's one port (smart and both), or null in pinned mode. */
  smart: { host: string; port: number } | null;
  /** What a program that was given one address should use: the smart port where there is one. */
  url: string;
  nodes: NodeRow[];
}

export function readyState(
  table: NodeTable,
  mode: ReadyState['mode'],
  smart: { host: string; port: number } | null,
): ReadyState {
  const nodes = mode === 'smart' ? [] : nodeRows(table);
  const s = table.seed;
  const seed = mode === 'smart' || !s ? null : { host: s.local.host, port: s.local.port };
  const main = mode === 'pinned' ? seed : smart;
  return {
    mode,
    topology: table.topology,
    seed,
    smart: mode === 'pinned' ? null : smart,
    url: main ? `redis://${main.host}:${main.port}` : '',
    nodes,
  };
}

/**
 * What exec mode adds to the child's environment. In smart mode the one port is the whole
 * cluster, so it is the one entry of REDIS_CLUSTER_NODES too.
 */
export function childEnvironment(
  state: ReadyState,
  /** --local-password: REDIS_URL carries it (and the user, if one is required). The ready file does not. */
  local?: { password?: string; user?: string },
): Record<string, string> {
  const main = state.mode === 'pinned' ? state.seed : state.smart;
  const seedFirst =
    state.mode === 'smart' || !state.seed
      ? [`${state.smart?.host}:${state.smart?.port}`]
      : [
          `${state.seed.host}:${state.seed.port}`,
          ...state.nodes.map((n) => n.local).filter((l) => l !== `${state.seed?.host}:${state.seed?.port}`),
        ];
  const credentials = local?.password
    ? `${encodeURIComponent(local.user ?? '')}:${encodeURIComponent(local.password)}@`
    : '';
  return {
    REDIS_URL: main ? `redis://${credentials}${main.host}:${main.port}` : '',
    REDIS_HOST: main?.host ?? '',
    REDIS_PORT: String(main?.port ?? ''),
    REDIS_CLUSTER_NODES: seedFirst.join(','),
  };
}

/**
 * Writes the file whole or not at all: a temporary file beside it, renamed over it, so a job
 * polling for the file never reads half of it.
 */
export function writeReadyFile(path: string, state: ReadyState): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o644 });
  renameSync(tmp, path);
}

/** Removed at a clean stop, so the next run's readiness is never read from this one. */
export function removeReadyFile(path: string): void {
  rmSync(path, { force: true });
}
