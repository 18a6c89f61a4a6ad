import { ReplyScanner } from './reply-scanner.js';

/**
 * Collects chunks until one complete reply frame is in; returns it and any bytes after it. For the
 * tunnel's own short conversations with a node (AUTH, discovery), not for client traffic.
 */
export class FrameCollector {
  private readonly scanner = new ReplyScanner();
  private readonly parts: Buffer[] = [];

  /** Throws ProtocolError on a malformed frame. */
  push(chunk: Buffer): { frame: Buffer; rest: Buffer | null } | null {
    this.parts.push(chunk);
    const end = this.scanner.next(chunk, 0);
    if (end < 0) return null;
    const all = this.parts.length === 1 ? chunk : Buffer.concat(this.parts);
    const frameEnd = all.length - (chunk.length - end);
    return { frame: all.subarray(0, frameEnd), rest: all.length > frameEnd ? all.subarray(frameEnd) : null };
  }
}
