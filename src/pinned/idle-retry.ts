/** Re-authentication waits for an idle moment: every 50 ms, for up to a minute. */
const RETRY_MS = 50;
const ATTEMPTS = 1200;

/**
 * Something that can only be done at an idle moment of a connection (a fresh AUTH slipped in
 * between the client's requests): tried now, then every 50 ms for up to a minute. A new start
 * replaces the one still retrying.
 */
export class IdleRetry {
  private timer: NodeJS.Timeout | null = null;

  /** `attempt` returns whether it was done; `giveUp` runs when it never was. */
  start(attempt: () => boolean, giveUp: () => void, attempts = ATTEMPTS): void {
    this.cancel();
    if (attempt()) return;
    if (attempts <= 1) return giveUp();
    this.timer = setTimeout(() => this.start(attempt, giveUp, attempts - 1), RETRY_MS);
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
