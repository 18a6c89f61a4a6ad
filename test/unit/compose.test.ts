/** docker-compose.yml and docker/node-N.conf describe the same cluster as the project's scripts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeNodeConfig } from '../../scripts/compose-files.js';
import { LAYOUTS, positionals, runnerChoice } from '../../scripts/lib/cluster.js';

const ROOT = join(__dirname, '..', '..');

describe('docker-compose', () => {
  it('node configs are the scripts’ configs (run node dist/scripts/compose-files.js after changing them)', () => {
    LAYOUTS.default.nodes.forEach((_, i) => {
      expect(readFileSync(join(ROOT, 'docker', `node-${i + 1}.conf`), 'utf8')).toBe(composeNodeConfig(i));
    });
  });

  it('the compose file starts one service per node and creates the cluster from the same addresses', () => {
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const [i, n] of LAYOUTS.default.nodes.entries()) {
      expect(text).toContain(`command: [redis-server, /conf/node-${i + 1}.conf]`);
      expect(text).toContain(`${n.ip}:${n.port}`);
    }
  });
});

describe('script arguments', () => {
  it('the layout and action are found among --docker and --image NAME, wherever they stand', () => {
    expect(positionals(['start'])).toEqual(['start']);
    expect(positionals(['start', 'same-port', '--docker'])).toEqual(['start', 'same-port']);
    expect(positionals(['--image', 'redis:7', 'start', 'hostname'])).toEqual(['start', 'hostname']);
    expect(runnerChoice(['start'], {})).toEqual({ docker: false, image: undefined });
    expect(runnerChoice(['--image', 'redis:7'], {})).toEqual({ docker: true, image: 'redis:7' });
    expect(runnerChoice([], { CLUSTER_DOCKER: '1' })).toEqual({ docker: true, image: undefined });
  });
});
