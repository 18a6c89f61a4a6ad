/**
 * Writes docker/node-N.conf for docker-compose.yml from the same config the project's scripts use,
 * and (with `certs`) a CA and node certificates into docker/certs.
 *   node dist/scripts/compose-files.js [certs]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAYOUTS, nodeConfig } from './lib/cluster.js';
import { issue, makeCertSet } from './lib/certs.js';

export const DOCKER_DIR = resolve(import.meta.dirname ?? '.', '../../docker');

/** The config text of node `i` as the containers see it (/certs, /data). */
export function composeNodeConfig(i: number): string {
  const spec = LAYOUTS.default;
  return nodeConfig(
    spec,
    i,
    '/data',
    { cert: `/certs/node-${i + 1}.crt`, key: `/certs/node-${i + 1}.key` },
    '/certs/ca.crt',
  );
}

function main(): void {
  const spec = LAYOUTS.default;
  mkdirSync(DOCKER_DIR, { recursive: true });
  spec.nodes.forEach((_, i) => writeFileSync(join(DOCKER_DIR, `node-${i + 1}.conf`), composeNodeConfig(i)));
  if (process.argv[2] === 'certs') {
    const certs = makeCertSet(join(DOCKER_DIR, 'certs'));
    spec.nodes.forEach((n, i) => issue(certs, `node-${i + 1}`, [n.ip], [`node${i + 1}.default.example`]));
    console.log(`certificates in ${certs.dir}`);
  }
  console.log(`configs in ${DOCKER_DIR}`);
}

if (process.argv[1]?.endsWith('compose-files.js')) main();
