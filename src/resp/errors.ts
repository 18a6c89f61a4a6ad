/**
 * Stable codes for everything the protocol layer refuses. Tests and callers match on `code`,
 * never on message wording.
 */
export type ProtocolErrorCode =
  /** A type byte that RESP2/RESP3 does not define (or that is not valid where it appears). */
  | 'ERR_UNKNOWN_TYPE'
  /** A length or count that is not a decimal integer in range. */
  | 'ERR_BAD_LENGTH'
  /** A line or bulk payload not terminated by CRLF where the protocol requires it. */
  | 'ERR_BAD_TERMINATOR'
  /** A frame larger than the configured cap. */
  | 'ERR_FRAME_TOO_LARGE'
  /** Aggregates nested deeper than the configured cap. */
  | 'ERR_TOO_DEEP'
  /** An inline request with unbalanced quotes (the server would reply an error and close). */
  | 'ERR_UNBALANCED_QUOTES'
  /** A multibulk request element that is not a bulk string. */
  | 'ERR_EXPECTED_BULK';

/**
 * An error the project raises on purpose, with a stable `code` that callers and tests act on; the
 * message is for people and may change. Every error family (protocol, discovery, startup) is one.
 */
export class CodedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ProtocolError extends CodedError<ProtocolErrorCode> {}

/** Default cap on one frame (request or reply): generous, above Redis' 512 MiB proto-max-bulk-len. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024 * 1024;
/** Default cap on aggregate nesting. Real servers nest a handful of levels. */
export const DEFAULT_MAX_DEPTH = 128;
/** Inline requests longer than this are refused by Redis itself (PROTO_INLINE_MAX_SIZE). */
export const MAX_INLINE_BYTES = 64 * 1024;
/**
 * A request argument longer than this is refused by Redis at its length, before the body: the
 * default proto-max-bulk-len, which managed services keep.
 */
export const PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;
