import { CodedError } from '../resp/errors.js';

/** What kind of startup failure: stable, for callers and tests to act on (never the wording). */
export type StartupErrorCode =
  /** An option cannot be used: a file that cannot be read, --cert without --key. */
  | 'options'
  /** --auth-command failed or printed nothing. */
  | 'auth-command'
  /** The seed could not be reached, refused TLS or AUTH, or gave no topology. */
  | 'seed'
  /** The seed is a Redis without cluster support. */
  | 'not-cluster'
  /** A local listener could not be bound. */
  | 'listen';

/** A startup failure, already worded as one line naming what failed and why. */
export class StartupError extends CodedError<StartupErrorCode> {}
