import { RequestParser } from '../resp/request-parser.js';
import { COMMANDS_WITH_ARGUMENTS, TRACKED_COMMANDS } from './commands.js';
import { Mode, type ReplyTracker } from './tracker.js';

export interface RequestPipelineOptions {
  tracker: ReplyTracker;
  /** Where bytes for the server go, in order. */
  write: (buf: Buffer) => void;
  maxFrameBytes?: number;
}

/**
 * Client → server. Every complete request is recorded with the tracker before its last byte is
 * forwarded, so its reply can never arrive first. Bytes go out unchanged, one write per chunk.
 */
export class RequestPipeline {
  private readonly o: RequestPipelineOptions;
  private readonly parser: RequestParser;

  constructor(options: RequestPipelineOptions) {
    this.o = options;
    this.parser = new RequestParser({
      names: TRACKED_COMMANDS,
      withArguments: COMMANDS_WITH_ARGUMENTS,
      maxFrameBytes: options.maxFrameBytes,
    });
  }

  push(chunk: Buffer): void {
    const { tracker } = this.o;
    if (tracker.mode !== Mode.Raw) {
      let pos = 0;
      while (pos < chunk.length) {
        const end = this.parser.next(chunk, pos);
        if (end < 0) break;
        const r = this.parser;
        tracker.onRequest(r.argc, r.name, r.arg1, r.arg2);
        pos = end;
      }
    }
    this.o.write(chunk);
  }
}
