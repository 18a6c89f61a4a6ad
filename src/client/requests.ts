import { CommandPolicy, type Placement } from '../protocol/command-policy.js';
import {
  COMMANDS_WITH_ARGUMENTS,
  type ParsedRequest,
  REWRITTEN_COMMANDS,
  TRACKED_COMMANDS,
} from '../protocol/commands.js';
import { HELD_COMMANDS } from '../protocol/request-pipeline.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { RequestParser } from '../resp/request-parser.js';
import type { RequestParserOptions, RequestSizeLimits } from '../resp/request-parser-options.js';

/**
 * How every client request is read, in both modes: one parser configuration per command table,
 * made once when the server's table is read and shared by every client's parser (one name
 * matcher), pinned mode's own connections' included (see RequestPipeline). It recognises the
 * names the policy places, those the reply tracker follows and those the tunnel rewrites or holds
 * (WAIT), captures the subcommand of commands that have them, and notes where the
 * first arguments lie. The single-key commands named in `inPlace` (smart mode's batchable ones)
 * are read where they lie; of any other request a reader that asks for them keeps the arguments,
 * so no request is read twice.
 */
export class RequestReading {
  /** Until the server's table is read: the policy shares nothing, and nothing is read in place. */
  static readonly UNREAD = new RequestReading(new CommandPolicy(null), []);

  readonly options: Readonly<RequestParserOptions>;

  constructor(
    readonly policy: CommandPolicy,
    inPlace: readonly string[],
  ) {
    const names = new Set([
      ...policy.names,
      ...TRACKED_COMMANDS,
      ...REWRITTEN_COMMANDS,
      ...HELD_COMMANDS,
      ...inPlace,
    ]);
    this.options = {
      names: [...names],
      withArguments: [...new Set([...policy.containers, ...COMMANDS_WITH_ARGUMENTS])],
      readInPlace: inPlace,
      argPlaces: true,
    };
  }
}

/**
 * One client's requests, cut whole from its reads and parsed once (see RequestReading); for each,
 * the policy says where it goes (`placement`). Pinned mode's shared lane and smart mode's client
 * each read with one.
 */
export class ClientRequests {
  readonly parser: RequestParser;
  private readonly splitter: FrameSplitter;

  constructor(
    readonly reading: RequestReading,
    limits: RequestSizeLimits,
    options: {
      /** Chunks are lent (a reused read buffer): what is kept of one past the call is copied. */
      lent: boolean;
      /** Keep the arguments of requests not read in place (RequestParser's `keepArgs`). */
      keepArgs: boolean;
    },
  ) {
    const parser = (this.parser = new RequestParser({
      ...reading.options,
      ...limits,
      keepArgs: options.keepArgs,
    }));
    this.splitter = new FrameSplitter(parser, () => parser.inRequest, options.lent);
  }

  /**
   * Hands each whole request of `chunk` to `onRequest` as `buf[start, end)` (see
   * FrameSplitter.pushInPlace), with the parser holding what it read of it; false from `onRequest`
   * stops the read. Throws ProtocolError for a request that cannot be read.
   */
  read(
    chunk: Buffer,
    onRequest: (buf: Buffer, start: number, end: number, next: number) => boolean | void,
  ): void {
    try {
      this.splitter.pushInPlace(chunk, onRequest);
    } finally {
      this.parser.forgetChunk();
    }
  }

  /**
   * Where the request just read goes, by the policy: null for an empty one (no reply), `own` for one
   * whose name the parser does not know.
   */
  placement(): Placement | null {
    const p = this.parser;
    if (p.argc === 0) return null;
    return p.name === null ? 'own' : this.reading.policy.placementOf(p.name, p.arg1);
  }

  /** The request just read, as the reply tracker takes it (a copy: the parser moves on). */
  parsed(): ParsedRequest {
    const { argc, name, arg1, arg2 } = this.parser;
    return { argc, name, arg1, arg2 };
  }

  /** The bytes of a request begun in earlier chunks and not ended yet. */
  get partialBytes(): number {
    return this.splitter.partialBytes;
  }

  /** The start of the unfinished request (copies, when chunks are lent); forgotten here. */
  takePartial(): Buffer[] {
    return this.splitter.takePartial();
  }
}
