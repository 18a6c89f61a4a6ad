import type { FrameEnds } from '../resp/frame-ends.js';
import type { ScannerLimits } from '../resp/reply-scanner.js';
import type { RequestParserOptions, RequestSizeLimits } from '../resp/request-parser-options.js';
import type { AddressBook, LocalAddress, NodeRef } from '../topology/types.js';
import { ReplyPipeline } from './reply-pipeline.js';
import { RequestPipeline } from './request-pipeline.js';
import type { SessionSink } from './sink.js';
import { ReplyTracker } from './tracker.js';
import type { ParsedRequest } from './commands.js';

export interface SessionOptions {
  /** Where nodes are served, and how to ask for one that is not (see ReplyPipelineOptions). */
  addresses: AddressBook;
  /**
   * The node this connection talks to, as the cluster announces it. An empty endpoint in a reply
   * (`-MOVED 3999 :6380`, unknown-endpoint style) means "this node's host".
   */
  self?: { host: string; port: number };
  /** See RequestPipelineOptions.rewrite (MIGRATE / CLUSTER MEET / REPLICAOF addresses). */
  rewriteRequest?: (request: Buffer) => Buffer | null;
  /** See RequestPipelineOptions.loginAfterReset. */
  loginAfterReset?: () => Buffer | null;
  /** See RequestPipelineOptions.waitMarker. */
  waitMarker?: () => Buffer | null;
  /** How large a reply may be. */
  limits?: ScannerLimits;
  /** How large a request may be (see RequestLimits): what the node would refuse is refused here. */
  requestLimits?: RequestSizeLimits;
  /** See RequestPipelineOptions.parserOptions. */
  parserOptions: Readonly<RequestParserOptions>;
}

/**
 * One client connection's protocol state, both directions, with no I/O of its own: the socket
 * layer feeds bytes in and the sink takes what comes out.
 */
export class Session {
  private readonly tracker: ReplyTracker;
  private readonly requests: RequestPipeline;
  private readonly replies: ReplyPipeline;

  constructor(sink: SessionSink, o: SessionOptions) {
    this.tracker = new ReplyTracker((reason) => sink.notice({ kind: 'uncertain', reason }));
    const addresses = o.self ? withSelf(o.addresses, o.self) : o.addresses;
    this.requests = new RequestPipeline({
      tracker: this.tracker,
      sink,
      rewrite: o.rewriteRequest,
      loginAfterReset: o.loginAfterReset,
      waitMarker: o.waitMarker,
      limits: o.requestLimits,
      parserOptions: o.parserOptions,
    });
    this.replies = new ReplyPipeline({ tracker: this.tracker, addresses, sink, limits: o.limits });
  }

  /** Client bytes. A malformed request is passed on unparsed (see RequestPipeline). */
  fromClient(chunk: Buffer): void {
    this.requests.push(chunk);
  }

  /** A whole request read already, with what was read of it (see RequestPipeline.pushParsed). */
  fromClientParsed(request: Buffer, parsed: ParsedRequest, rewritten?: Buffer): void {
    this.requests.pushParsed(request, parsed, rewritten);
  }

  /**
   * Records a request read elsewhere (pinned mode's shared lane parses what it sends), before it
   * goes to the node, so its reply is followed as if this session had read it.
   */
  track(request: ParsedRequest): void {
    this.tracker.onRequest(request.argc, request.name, request.arg1, request.arg2);
  }

  /**
   * Server bytes, with where their frames end when the connection already scanned them (see
   * FrameEnds). Returns false when input should pause until `sink.resume`. Throws ProtocolError.
   */
  fromServer(chunk: Buffer, ends?: FrameEnds): boolean {
    return this.replies.push(chunk, ends);
  }

  /** Sends a request of the tunnel's own when it cannot disturb the client; false: try later. */
  inject(request: Buffer): boolean {
    return this.requests.inject(request);
  }

  /** The client logged in itself: it runs as its own user (see ReplyTracker.clientLogin). */
  get clientLogin(): boolean {
    return this.tracker.clientLogin;
  }

  /** Requests the client has sent, whole, so far (while they are parsed: see RequestPipeline). */
  get requestCount(): number {
    return this.requests.count;
  }

  /** Requests still waiting for (part of) their reply. */
  get pending(): number {
    return this.tracker.pending;
  }
}

/** Resolves the empty endpoint (unknown-endpoint style) to the host of the node this session talks to. */
function withSelf(book: AddressBook, self: { host: string; port: number }): AddressBook {
  const lookup = (ref: NodeRef): LocalAddress | undefined => {
    if (ref.host !== '') return book.lookup(ref);
    return book.lookup({ ...ref, host: self.host }) ?? book.lookup(ref);
  };
  return { lookup, tls: book.tls, ensure: book.ensure?.bind(book) };
}
