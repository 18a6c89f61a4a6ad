import { type FlatSessionOptions, newSession } from './session.js';
import { FrameEnds } from '../../src/resp/frame-ends.js';
import { ReplyScanner } from '../../src/resp/reply-scanner.js';
import type { NodeRef } from '../../src/topology/types.js';
import { ID1, ID2, fakeLookup } from './fake-map.js';
import { arr, b, bulk, int } from './resp.js';
import { splits } from './split.js';

/** A step of a conversation: bytes the client sends, or bytes the server sends. */
export type Step = { client: string } | { server: string };

export interface RunResult {
  toServer: string;
  toClient: string;
  uncertain: string[];
}

/**
 * Where the frames of a reply stream end, chunk by chunk, as a connection's own scan finds them
 * (pinned mode's shared connection hands them on with each span: see FrameEnds); null when the
 * stream is not all frames (a PSYNC's payload), which no shared connection carries.
 */
export function frameEndsOf(chunks: Buffer[]): FrameEnds[] | null {
  const scanner = new ReplyScanner();
  try {
    return chunks.map((chunk) => {
      const ends = new FrameEnds();
      for (let pos = 0, end = 0; (end = scanner.next(chunk, pos)) >= 0; pos = end)
        ends.add(end, scanner.nestedPush);
      return ends;
    });
  } catch {
    return null;
  }
}

/**
 * Feeds the steps through one Session; server steps are cut into `cut(bytes)` chunks. With
 * `withEnds`, each chunk comes with where its frames end (see frameEndsOf), as shared replies do.
 */
export function run(
  steps: Step[],
  cut: (data: Buffer) => Buffer[] = (d) => [d],
  extra: Partial<FlatSessionOptions> = {},
  withEnds = false,
): RunResult {
  let toServer = '';
  let toClient = '';
  const uncertain: string[] = [];
  const session = newSession({
    lookup: fakeLookup,
    toServer: (buf) => (toServer += buf.toString('latin1')),
    toClient: (buf) => (toClient += buf.toString('latin1')),
    onUncertain: (reason) => uncertain.push(reason),
    ...extra,
  });
  for (const step of steps) {
    if ('client' in step) {
      session.fromClient(b(step.client));
      continue;
    }
    const chunks = cut(b(step.server));
    const ends = withEnds ? frameEndsOf(chunks) : null;
    if (withEnds && !ends) throw new Error('not a stream of frames: no frame ends to give');
    chunks.forEach((chunk, i) => session.fromServer(Buffer.from(chunk), ends?.[i]));
  }
  return { toServer, toClient, uncertain };
}

/**
 * Runs a pipelined conversation (all requests, then all replies) with the reply stream fed whole,
 * byte by byte and split at every offset, each both scanned by the session and with its frame ends
 * given (as shared replies come; not for a stream that is not all frames); returns every run's
 * result for comparison.
 */
export function runAllSplits(
  requests: string,
  replies: string,
  extra: Partial<FlatSessionOptions> = {},
): Array<{ how: string } & RunResult> {
  const out: Array<{ how: string } & RunResult> = [];
  for (const { name, chunks } of splits(b(replies))) {
    const steps: Step[] = [{ client: requests }, { server: replies }];
    out.push({ how: name, ...run(steps, () => chunks, extra) });
    if (frameEndsOf(chunks))
      out.push({ how: `${name}, frame ends given`, ...run(steps, () => chunks, extra, true) });
  }
  return out;
}

// A CLUSTER SLOTS reply as the remote cluster sends it, and the same reply pointing at the tunnel.
export const SLOTS_REMOTE = arr(
  arr(int(0), int(8191), arr(bulk('10.0.0.1'), int(6379), bulk(ID1), '*0\r\n')),
  arr(int(8192), int(16383), arr(bulk('10.0.0.2'), int(6379), bulk(ID2), '*0\r\n')),
);
export const SLOTS_LOCAL = arr(
  arr(int(0), int(8191), arr(bulk('127.0.0.1'), int(7001), bulk(ID1), '*0\r\n')),
  arr(int(8192), int(16383), arr(bulk('127.0.0.1'), int(7002), bulk(ID2), '*0\r\n')),
);
export const NODES_TEXT_REMOTE = `${ID1} 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n${ID2} 10.0.0.2:6379@16379 master - 0 0 2 connected 8192-16383\n`;
export const NODES_TEXT_LOCAL = `${ID1} 127.0.0.1:7001@16379 myself,master - 0 0 1 connected 0-8191\n${ID2} 127.0.0.1:7002@16379 master - 0 0 2 connected 8192-16383\n`;

/** Learns nothing, but records what it was asked. */
export function recordingLearn(seen: NodeRef[][]): (m: NodeRef[]) => void {
  return (m) => {
    seen.push(m);
  };
}
