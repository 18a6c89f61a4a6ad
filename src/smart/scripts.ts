import { createHash } from 'node:crypto';
import { encodeCommand } from '../resp/encode.js';
import type { Dispatcher } from './dispatch.js';
import type { Lane } from './lanes.js';

/** Scripts remembered for reloading; a tunnel's clients rarely use more, and each is small. */
const SCRIPT_LIMIT = 10_000;

/**
 * The bodies of the scripts clients sent through the tunnel (SCRIPT LOAD or EVAL), by SHA1. A
 * script cache is per node: a replica promoted by a failover answers EVALSHA with NOSCRIPT,
 * though the client loaded the script. With the body at hand the tunnel loads it there and runs
 * the EVALSHA again, as the client would have had to.
 */
export class ScriptCache {
  private readonly bodies = new Map<string, Buffer>();

  remember(body: Buffer): void {
    const sha = createHash('sha1').update(body).digest('hex');
    if (this.bodies.has(sha)) return;
    if (this.bodies.size >= SCRIPT_LIMIT) this.bodies.delete(this.bodies.keys().next().value as string);
    this.bodies.set(sha, Buffer.from(body));
  }

  bodyOf(sha: string): Buffer | undefined {
    return this.bodies.get(sha.toLowerCase());
  }
}

const NOSCRIPT = Buffer.from('-NOSCRIPT');

/**
 * Sends EVAL/EVALSHA (and SCRIPT LOAD's body is remembered by the caller). An EVALSHA answered
 * NOSCRIPT for a script the cache knows is loaded on that slot's master and sent again, once.
 */
export function sendScript(
  cache: ScriptCache,
  dispatcher: Dispatcher,
  name: string,
  args: Buffer[],
  slot: number | undefined,
  bytes: Buffer,
  lane: Lane,
  done: (reply: Buffer) => void,
): void {
  if (name === 'eval' || name === 'eval_ro') cache.remember(args[1] ?? Buffer.alloc(0));
  if (name !== 'evalsha' && name !== 'evalsha_ro') return dispatcher.send(slot, bytes, done, lane);
  dispatcher.send(
    slot,
    bytes,
    (reply) => {
      const body =
        reply.subarray(0, NOSCRIPT.length).equals(NOSCRIPT) &&
        cache.bodyOf(args[1]?.toString('latin1') ?? '');
      if (!body) return done(reply);
      dispatcher.send(slot, encodeCommand(['SCRIPT', 'LOAD', body]), () =>
        dispatcher.send(slot, bytes, done, lane),
      );
    },
    lane,
  );
}
