import type { RequestParser } from '../resp/request-parser.js';
import { ARG_PLACES } from '../resp/request-parser-options.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { Dispatcher } from './dispatch.js';
import type { Lane, Lanes } from './lanes.js';
import type { Planner } from './plan.js';
import { ReadBatch } from './read-batch.js';
import type { ReplyQueue } from './replies.js';

/**
 * The batch a client is building from one read, sent at the read's end or when another kind of
 * request comes. A request that no other joins goes on its own, as any request does: a batch is
 * made only for two or more, where it saves more than it costs.
 */
export class Batches {
  private batch: ReadBatch | null = null;
  /** The request that may start a batch, not sent yet (entry null: none): buf[start, end). */
  private entry: NodeEntry | null = null;
  private lane: Lane = 'shared';
  private buf: Buffer | null = null;
  private start = 0;
  private end = 0;
  private slot = 0;

  constructor(
    private readonly planner: Planner,
    private readonly dispatcher: Dispatcher,
    private readonly lanes: Lanes,
    private readonly replies: ReplyQueue,
  ) {}

  /**
   * Takes the request at `buf[start, end)`, read where `parser` left it, if it may go in a batch
   * (see Planner.batchRoute): its name is one of the planner's batchNames; false for any other.
   * The bytes are the client's read, kept (not lent) until the batch is sent.
   */
  add(name: string, buf: Buffer, start: number, end: number, parser: RequestParser): boolean {
    const route = this.planner.batchRoute(name, parser.argc);
    const key = route ? route.key : ARG_PLACES;
    if (!route || key >= ARG_PLACES || parser.argLengths[key] < 0) return false;
    const slot = this.planner.slotAt(
      parser.argBuffers[key] as Buffer,
      parser.argStarts[key],
      parser.argLengths[key],
    );
    const entry = this.dispatcher.target(slot, route.lane);
    if (!entry) return false;
    if (this.entry) {
      this.batch = new ReadBatch(this.dispatcher, this.planner);
      this.batch.add(this.entry, this.lane, this.buf as Buffer, this.start, this.end, this.lanes);
      this.entry = null;
      this.buf = null;
    }
    if (this.batch) {
      this.batch.add(entry, route.lane, buf, start, end, this.lanes);
      return true;
    }
    this.entry = entry;
    this.lane = route.lane;
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.slot = slot;
    return true;
  }

  /** Sends the batch being built, or the one request waiting for a second. */
  send(): void {
    const batch = this.batch;
    if (batch) {
      this.batch = null;
      return batch.send(this.replies.takeBatch(), this.lanes);
    }
    const entry = this.entry;
    if (!entry) return;
    this.entry = null;
    const request = (this.buf as Buffer).subarray(this.start, this.end);
    this.buf = null;
    this.dispatcher.sendTo(entry, request, this.replies.take(), this.lane, this.slot);
  }
}
