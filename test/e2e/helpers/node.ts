import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ClusterDescription } from '../../../scripts/lib/cluster.js';

const run = promisify(execFile);

/** Asks a node of the project's cluster directly, over TLS (redis-cli), as the cluster's user. */
export async function askNode(c: ClusterDescription, args: string[], node = 0): Promise<string> {
  const n = c.nodes[node];
  const { stdout } = await run(
    'redis-cli',
    ['--tls', '--cacert', c.caCert, '--user', c.user, '-h', n.ip, '-p', String(n.port), ...args],
    { env: { ...process.env, REDISCLI_AUTH: c.password } },
  );
  return stdout;
}

/** The node's CLIENT LIST lines of connections logged in as the cluster's user. */
export async function nodeClients(c: ClusterDescription, node = 0): Promise<string[]> {
  const out = await askNode(c, ['CLIENT', 'LIST'], node);
  return out.split('\n').filter((l) => l.includes(` user=${c.user} `));
}
