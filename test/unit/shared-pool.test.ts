/**
 * The shared connections' groups (per protocol, login and kind) do not grow without end: a
 * client login's group goes once its last connection does, as after a node refused the login;
 * the tunnel's own groups stay. The connector is a fake (named so) whose every open fails as a
 * refused login does.
 */
import { describe, expect, it } from 'vitest';
import type { Connector } from '../../src/net/connector.js';
import { SharedPool } from '../../src/upstream/shared-pool.js';
import { TunnelStats } from '../../src/net/stats.js';
import { createLogger } from '../../src/log.js';
import { loginOf } from '../../src/protocol/login.js';
import type { NodeEntry } from '../../src/topology/node-table.js';

const refusingConnector = {
  open: () => Promise.reject(new Error('WRONGPASS invalid username-password pair (fake)')),
} as unknown as Connector;

// A node id too: connections count their requests per node.
const entry = {
  node: { id: 'node-under-test', role: 'master' },
  target: { host: '127.0.0.1', port: 1, label: '127.0.0.1:1', tlsName: '127.0.0.1' },
} as unknown as NodeEntry;

/** Sends one request on `upstream`; resolves with the failure it gets. */
function failureOf(pool: SharedPool, login: ReturnType<typeof loginOf> | null): Promise<string> {
  return new Promise((resolve) =>
    pool
      .get(entry, 2, login)
      .send(Buffer.from('*1\r\n$4\r\nPING\r\n'), (_f, failure) => resolve(failure ?? '')),
  );
}

describe('shared pool groups', () => {
  it("a refused login leaves no group behind; the tunnel's own group stays", async () => {
    const pool = new SharedPool(
      { connector: refusingConnector, auth: () => null, stats: new TunnelStats() },
      createLogger('error', 'text'),
    );
    for (let i = 0; i < 50; i++) {
      const login = loginOf({ user: `user${i}`, password: Buffer.from(`wrong${i}`) });
      expect(await failureOf(pool, login)).toMatch(/cannot reach node 127\.0\.0\.1:1: .*WRONGPASS/);
    }
    expect(pool.groupCount).toBe(0);
    expect(await failureOf(pool, null)).toMatch(/WRONGPASS/);
    expect(pool.groupCount).toBe(1);
    pool.close();
  });
});
