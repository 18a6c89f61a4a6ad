import { ProtocolError } from '../../src/resp/errors.js';

/** Runs `feed`: 'ok' when it returns, the code of a ProtocolError it throws; anything else is rethrown. */
export function protocolErrorCode(feed: () => void): string {
  try {
    feed();
    return 'ok';
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
}
