import type { Logger } from '../log.js';

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

/**
 * Sends AUTH with a fresh token on a client's own connection, as Azure Entra requires before the
 * old token expires (shared connections are re-authenticated by their pool). It goes in only
 * between the client's requests on an idle connection, so the client never sees its reply; a busy
 * connection is retried every 50 ms for up to a minute. A client that logged in itself runs as its
 * own user, and is left so.
 */
export function reauthWhenIdle(
  retry: IdleRetry,
  session: { readonly clientLogin: boolean; inject(request: Buffer): boolean },
  request: Buffer,
  log: Logger,
): void {
  retry.start(
    () => session.clientLogin || session.inject(request),
    () =>
      log.warn(
        'could not re-authenticate: the connection was never idle; it keeps its previous authentication',
      ),
  );
}
