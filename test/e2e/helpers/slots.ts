import type { RunningCluster } from '../../../scripts/lib/cluster.js';

/** A node as the cluster scripts name it. */
interface At {
  ip: string;
  port: number;
}

/**
 * Moves `keys` from one node to another with MIGRATE, as redis-cli --cluster reshard does (AUTH2
 * as the cluster's user); resolves with what the source answered.
 */
export function migrateKeys(admin: RunningCluster, from: At, to: At, keys: string[]): Promise<string> {
  const { user, password } = admin.spec;
  return admin.cli(from, [
    'MIGRATE',
    to.ip,
    String(to.port),
    '',
    '0',
    '5000',
    'AUTH2',
    user,
    password,
    'KEYS',
    ...keys,
  ]);
}
