import { createHash } from 'node:crypto';

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
