import type { ScannerLimits } from '../resp/reply-scanner.js';
import type { AddressLookup, LocalAddress, NodeRef } from '../rewrite/address.js';
import { ReplyPipeline } from './reply-pipeline.js';
import { RequestPipeline } from './request-pipeline.js';
import { ReplyTracker } from './tracker.js';

export interface SessionOptions {
  /** Remote node → local address. */
  lookup: AddressLookup;
  /**
   * The node this connection talks to, as the cluster announces it. An empty endpoint in a reply
   * (`-MOVED 3999 :6380`, unknown-endpoint style) means "this node's host".
   */
  self?: { host: string; port: number };
  toServer: (buf: Buffer) => void;
  toClient: (buf: Buffer) => void;
  /** See ReplyPipelineOptions.learn. */
  learn?: (missing: NodeRef[]) => Promise<void> | void;
  onUnmapped?: (missing: NodeRef[]) => void;
  /** Called once if reply pairing had to stop on this connection. */
  onUncertain?: (reason: string) => void;
  onResume?: () => void;
  onError?: (err: unknown) => void;
  limits?: ScannerLimits;
  /** See ReplyPipelineOptions.onInternalReply. */
  onInternalReply?: (ok: boolean, reply: string) => void;
  /** See RequestPipelineOptions.rewrite (MIGRATE / CLUSTER MEET / REPLICAOF addresses). */
  rewriteRequest?: (request: Buffer) => Buffer | null;
}

/**
 * One client connection's protocol state, both directions, with no I/O of its own: the socket
 * layer feeds bytes in and writes what comes out.
 */
export class Session {
  readonly tracker: ReplyTracker;
  private readonly requests: RequestPipeline;
  private readonly replies: ReplyPipeline;

  constructor(o: SessionOptions) {
    this.tracker = new ReplyTracker(o.onUncertain);
    const lookup = o.self ? withSelf(o.lookup, o.self) : o.lookup;
    this.requests = new RequestPipeline({
      tracker: this.tracker,
      write: o.toServer,
      rewrite: o.rewriteRequest,
      maxFrameBytes: o.limits?.maxFrameBytes,
    });
    this.replies = new ReplyPipeline({
      tracker: this.tracker,
      lookup,
      write: o.toClient,
      learn: o.learn,
      onUnmapped: o.onUnmapped,
      onResume: o.onResume,
      onError: o.onError,
      onInternalReply: o.onInternalReply,
      limits: o.limits,
    });
  }

  /** Client bytes. Throws ProtocolError on a malformed request. */
  fromClient(chunk: Buffer): void {
    this.requests.push(chunk);
  }

  /** Server bytes. Returns false when input should pause until `onResume`. Throws ProtocolError. */
  fromServer(chunk: Buffer): boolean {
    return this.replies.push(chunk);
  }

  /** Sends a request of the tunnel's own when it cannot disturb the client; false: try later. */
  inject(request: Buffer): boolean {
    return this.requests.inject(request);
  }

  get isBlocked(): boolean {
    return this.replies.isBlocked;
  }
}

function withSelf(lookup: AddressLookup, self: { host: string; port: number }): AddressLookup {
  return (ref: NodeRef): LocalAddress | undefined => {
    if (ref.host !== '') return lookup(ref);
    return lookup({ ...ref, host: self.host }) ?? lookup(ref);
  };
}
