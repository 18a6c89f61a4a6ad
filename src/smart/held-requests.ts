import type { ReplyQueue } from './replies.js';

/**
 * Requests that came after one that changes the connection's meaning (RESET, a login, tracking
 * being set up): they wait until it is done, which is once every request before it is answered,
 * then run in the order they came.
 */
export class HeldRequests {
  private later: Array<() => void> | null = null;

  constructor(private readonly replies: ReplyQueue) {}

  get holding(): boolean {
    return this.later !== null;
  }

  /** Keeps `run` for the release when requests are being held; false when they are not. */
  hold(run: () => void): boolean {
    if (this.later === null) return false;
    this.later.push(run);
    return true;
  }

  /** Holds every later request; `run` is called once every earlier one is answered. */
  whenAnswered(run: () => void): void {
    this.later = [];
    this.replies.whenEarlierAnswered(run);
  }

  /** Runs what was held, in order, and holds nothing more. */
  release(): void {
    const later = this.later ?? [];
    this.later = null;
    for (const run of later) run();
  }
}
