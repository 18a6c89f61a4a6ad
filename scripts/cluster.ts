/**
 * Start or stop one of the project's local TLS clusters.
 *   node dist/scripts/cluster.js start [layout] [--docker [--image IMAGE]]
 *   node dist/scripts/cluster.js stop [layout]
 * (layouts: default, same-port, hostname, unknown-endpoint, ...). --docker runs each node as a
 * container through the Docker Engine API, host networking, same addresses and certificates.
 * The cluster keeps running after `start` returns; `stop` ends exactly the processes it started.
 */
import { join } from 'node:path';
import { LAYOUTS, ROOT, positionals, runnerChoice, startCluster, stopLeftovers } from './lib/cluster.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [action, layout = 'default'] = positionals(args);
  const spec = LAYOUTS[layout];
  if (!spec) throw new Error(`unknown layout ${layout}; one of: ${Object.keys(LAYOUTS).join(', ')}`);
  if (action === 'start') {
    const cluster = await startCluster(spec, (m) => console.log(m), runnerChoice(args));
    console.log(JSON.stringify(cluster.describe(), null, 2));
  } else if (action === 'stop') {
    await stopLeftovers(join(ROOT, spec.name));
    console.log(`stopped ${layout}`);
  } else {
    throw new Error('usage: cluster.js start|stop [layout]');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
