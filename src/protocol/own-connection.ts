import { SUB_FAMILY_COMMANDS } from './commands.js';

/**
 * Commands that change or hold the connection they are sent on. A client whose requests share a
 * connection with other clients' (pinned mode's shared lane) takes a connection of its own at the
 * first of these, and keeps it: from then on nothing it set can leak to anyone else, and nothing
 * another client does can block it.
 */

/** Connection state: who is logged in, which protocol and database, the client's name and mode. */
export const CONNECTION_STATE: readonly string[] = [
  'auth',
  'hello',
  'select',
  'client',
  'readonly',
  'readwrite',
];

/**
 * Every command that needs a connection of its own in pinned mode:
 * - connection state (above), and ASKING (a flag for the next command on that connection);
 * - transactions (MULTI, WATCH...), whose commands must be the connection's next ones;
 * - subscriptions, MONITOR and replication (SYNC, PSYNC), which turn the connection into a stream;
 * - RESET and QUIT, which reset or close the connection;
 * - blocking commands, which hold the connection until they are answered (WAIT and WAITAOF count
 *   the connection's own writes, too).
 */
export const OWN_CONNECTION_COMMANDS: readonly string[] = [
  ...CONNECTION_STATE,
  'asking',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  ...SUB_FAMILY_COMMANDS,
  'monitor',
  'sync',
  'psync',
  'replconf',
  'reset',
  'quit',
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'xread',
  'xreadgroup',
  'wait',
  'waitaof',
];
