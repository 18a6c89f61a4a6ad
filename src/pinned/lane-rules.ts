import type { ParsedRequest } from '../protocol/commands.js';
import type { AuthAttempt } from '../protocol/local-auth.js';
import type { Login } from '../protocol/login.js';
import type { ProtocolError } from '../resp/errors.js';
import type { FrameEnds } from '../resp/frame-ends.js';
import type { SpanSender } from './primary-sender.js';

/**
 * A request still incomplete at this size takes the client's own connection instead: the shared
 * connection only takes whole requests, and holding a large one until its last byte would both
 * cost memory and delay it (its own connection streams it).
 */
export const MAX_SHARED_REQUEST_BYTES = 256 * 1024;

/**
 * At most this many requests of one client are on the shared connection at once; one more takes
 * the client's own connection. A deep pipeline gains nothing from sharing, and the replies of a
 * client that does not read them must be held in the tunnel (the shared connection cannot stop
 * for one client): this bounds them, while an own connection stops reading from the node instead.
 * redis-benchmark -P 16 and cluster clients' request-reply rhythm stay within it.
 */
export const SHARED_WINDOW = 16;

/** Labels recorded per client at most (a name and a few SETINFO attributes); more pin it. */
export const MAX_LABELS = 8;

/** A request the lane read whole: what was read of it, and its length in bytes. */
export interface ReadRequest {
  request: ParsedRequest;
  length: number;
  /**
   * The request as the tunnel rewrote it (MIGRATE's addresses, a local AUTH), made once, when read:
   * a listener the client named means the node it fronted when the client sent the request.
   */
  rewritten?: Buffer;
}

/** What a shared lane needs from its pinned client. */
export interface LaneOwner {
  /**
   * The node's shared connection in `protocol` for `login`, the one for writes or the other (made
   * again after one broke).
   */
  upstream(protocol: 2 | 3, login: Login | null, writes: boolean): SpanSender;
  /** Has a node check an AUTH (see checkLogin); `done` as there. */
  checkLogin(
    attempt: AuthAttempt,
    protocol: 2 | 3,
    done: (login: Login | null | undefined, reply: Buffer) => void,
  ): void;
  /**
   * Records a request the lane serves (sends, answers or has checked) with the client's reply
   * tracker, before it goes: the lane's parse is the only one such a request gets.
   */
  track(request: ParsedRequest): void;
  /**
   * The request as it must reach the node, when the tunnel rewrites it (MIGRATE's addresses and
   * credentials, AUTH and HELLO under --local-password); null: it goes as it is.
   */
  rewrite(request: Buffer): Buffer | null;
  /**
   * This client's next reply bytes, in order (they may end inside a reply), with where their
   * frames end when the connection's scan says so (see FrameEnds).
   */
  reply(span: Buffer, ends?: FrameEnds): void;
  /** The shared connection failed while requests of this client were on it. */
  broken(upstream: SpanSender, reason: string): void;
  /** The client needs its own connection from the request that `held` starts with. */
  pin(why: string): void;
  /** Every request this client sent on the shared connection has been answered. */
  idle(): void;
  /** The client asked to be disconnected (QUIT, answered): end it. */
  close(): void;
  /** A request the lane could not read: counted and logged (the lane answers it and closes). */
  malformed(e: ProtocolError): void;
}
