import type { ReplyQueue } from './replies.js';

/**
 * Requests that came after one that changes the connection's meaning (RESET, a login, tracking
 * being set up, a HELLO whose outcome the node decides): they wait until it is done, which is once
 * every request before it is answered and it has its answer, then run in the order they came. A
 * login's HELLO holds within the login's hold: requests run once both have let go.
 */
export class HeldRequests {
  private later: Array<() => void> | null = null;
  /** How many holds are still to let go (see release). */
  private holds = 0;

  constructor(
    private readonly replies: ReplyQueue,
    /** Called after held requests have run: they came in one read, which has now ended. */
    private readonly afterRun: () => void = () => {},
  ) {}

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
    this.holdLater();
    this.replies.whenEarlierAnswered(run);
  }

  /** Holds every later request from now, until a release of its own. */
  holdLater(): void {
    this.later ??= [];
    this.holds++;
  }

  /** Lets go of one hold; once none is left, runs what was held, in order. */
  release(): void {
    if (this.holds > 0 && --this.holds > 0) return;
    const later = this.later ?? [];
    this.later = null;
    for (const run of later) run();
    if (later.length > 0) this.afterRun();
  }
}
