/**
 * Starts the project's real TLS cluster once for the e2e run (default layout: 127.0.0.11-16,
 * ports 7001-7006, ACL user, throwaway CA) and stops exactly its processes afterwards. If the
 * cluster cannot start, the run fails: these tests never skip.
 */
import type { TestProject } from 'vitest/node';
import { LAYOUTS, type RunningCluster, startCluster, stopLeftovers } from '../../scripts/lib/cluster.js';

let cluster: RunningCluster | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  try {
    cluster = await startCluster(LAYOUTS.default, (m) => process.stderr.write(`[cluster] ${m}\n`));
  } catch (e) {
    throw new Error(
      `the real TLS cluster did not start, so the e2e tests cannot run: ${(e as Error).message}`,
    );
  }
  process.stderr.write(`[cluster] up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  project.provide('cluster', cluster.describe());
  return async () => {
    // Tests may have restarted nodes (new PIDs): stop whatever pids.json lists now.
    if (cluster) await stopLeftovers(cluster.dir);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: import('../../scripts/lib/cluster.js').ClusterDescription;
  }
}
