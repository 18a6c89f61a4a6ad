import type { TopologyReply } from '../rewrite/index.js';

/** How far reply tracking can follow a connection. */
export const enum Mode {
  /** Replies are paired with requests. */
  Track = 0,
  /** Pairing stopped (MONITOR, or uncertainty): frames pass unchanged except top-level MOVED/ASK. */
  Passthrough = 1,
  /** The stream is no longer RESP frames (SYNC/PSYNC sends an RDB payload without CRLF). */
  Raw = 2,
}

/** What the caller must do with a reply frame beyond forwarding it. */
export type ReplyAction =
  | { topology: TopologyReply }
  | { exec: Array<TopologyReply | null> }
  /** The reply to a request the tunnel sent itself: drop it; `ok` is false for an error reply. */
  | { internal: boolean }
  | null;
