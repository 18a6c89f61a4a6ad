import type { NodeRef } from '../topology/types.js';

/** Something a session saw that is worth a log line; none of it is needed for correctness. */
export type SessionNotice =
  /** Reply pairing stopped on this connection: topology replies pass unchanged from now on. */
  | { kind: 'uncertain'; reason: string }
  /** A reply's node addresses were rewritten (counted for the status page). */
  | { kind: 'rewritten' }
  /** A reply named nodes that are still not served: their addresses went out unchanged. */
  | { kind: 'unmapped'; missing: NodeRef[] }
  /** The node answered a request the tunnel sent itself (a fresh AUTH); the client never sees it. */
  | { kind: 'internal-reply'; ok: boolean; reply: string };

/**
 * Where a session's output goes: the socket layer implements it.
 *
 * The bytes a session is fed are lent: valid only during the call (the socket layer reads every
 * chunk into one reused buffer). The session copies whatever it keeps past the call, and the
 * buffers it hands to `toServer` / `toClient` may be views of the lent chunk, so the sink writes or
 * copies them at once.
 */
export interface SessionSink {
  /** Bytes for the node, in order (possibly lent). */
  toServer(buf: Buffer): void;
  /** Bytes for the client, in order (possibly lent). */
  toClient(buf: Buffer): void;
  /**
   * The bytes that follow need the client's own connection to the node (a WAIT and its marker):
   * a client whose requests share a connection takes one from here on.
   */
  ownFromHere(why: string): void;
  /** Server input may flow again, after `fromServer` returned false. */
  resume(): void;
  /** A failure found while releasing a held reply (a malformed frame behind it). */
  fail(err: unknown): void;
  notice(notice: SessionNotice): void;
}
