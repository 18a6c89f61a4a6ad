import { encodeCommand } from '../resp/encode.js';
import type { Dispatcher } from './dispatch.js';
import type { Lane } from './lanes.js';
import type { ScriptCache } from './script-cache.js';

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
