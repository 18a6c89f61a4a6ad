/**
 * Start or stop one of the project's local TLS clusters.
 *   node dist/scripts/cluster.js start [layout]   (layouts: default, same-port, hostname, unknown-endpoint)
 *   node dist/scripts/cluster.js stop [layout]
 * The cluster keeps running after `start` returns; `stop` ends exactly the processes it started.
 */
import { join } from 'node:path';
import { LAYOUTS, ROOT, startCluster, stopLeftovers } from './lib/cluster.js';

async function main(): Promise<void> {
  const [action, layout = 'default'] = process.argv.slice(2);
  const spec = LAYOUTS[layout];
  if (!spec) throw new Error(`unknown layout ${layout}; one of: ${Object.keys(LAYOUTS).join(', ')}`);
  if (action === 'start') {
    const cluster = await startCluster(spec, (m) => console.log(m));
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
