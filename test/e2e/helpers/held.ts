import { expect } from 'vitest';
import type { RawClient, RawTarget, Reply } from './raw-client.js';

/**
 * How long other clients' reads take while a node holds one client (a paused write, a blocking
 * command, a WAIT): what the tests of "a held client holds no one else" share.
 */

export interface Held {
  /** The held client's reply, and how long it took. */
  reply: Reply;
  heldMs: number;
  /** The slowest of the bystanders' GETs (five rounds each) while it was held. */
  slowestMs: number;
}

/**
 * Starts `hold` on a client of `holder`, then times five rounds of GETs of `key` by a client of
 * each of `others` while it is held; `connect` makes the clients.
 */
export async function timeBystanders(
  connect: (t: RawTarget) => Promise<RawClient>,
  key: string,
  holder: RawTarget,
  others: RawTarget[],
  hold: (call: (...args: string[]) => Promise<Reply>) => Promise<Reply>,
): Promise<Held> {
  const h = await connect(holder);
  const clients = await Promise.all(others.map(connect));
  try {
    // Each bystander has used its way to the node before, as a running application has.
    for (const c of clients) expect(await c.call('GET', key)).not.toEqual({ error: expect.anything() });
    const started = Date.now();
    const held = hold((...args) => h.call(...args));
    await new Promise((r) => setTimeout(r, 50));
    let slowestMs = 0;
    for (let round = 0; round < 5; round++) {
      for (const c of clients) {
        const t = Date.now();
        const got = await c.call('GET', key);
        expect(got).not.toEqual({ error: expect.anything() });
        slowestMs = Math.max(slowestMs, Date.now() - t);
      }
    }
    const reply = await held;
    return { reply, heldMs: Date.now() - started, slowestMs };
  } finally {
    h.close();
    for (const c of clients) c.close();
  }
}
