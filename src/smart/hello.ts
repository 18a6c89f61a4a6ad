import { helloVersion } from '../protocol/hello.js';
import { helloWithoutAuth } from '../protocol/local-auth.js';
import { encodeCommand } from '../resp/encode.js';
import { isErrorType } from '../resp/types.js';
import { helloFor } from '../upstream/upstream-link.js';
import type { Dispatcher } from './dispatch.js';
import type { HeldRequests } from './held-requests.js';

/** What HELLO needs of its smart client. */
export interface HelloHost {
  held: HeldRequests;
  dispatcher: Dispatcher;
  /**
   * The client speaks `version` from here: its own connections switch behind what they carry,
   * new ones start in it.
   */
  switchTo(version: 2 | 3): void;
}

/**
 * HELLO in smart mode: the home node answers it, and the client's protocol changes when it is
 * issued, so requests pipelined behind it get replies in the new protocol and those before it in
 * the old. A HELLO with options (SETNAME, or words the node refuses, perhaps after taking some: a
 * node reads them in order) goes to the home node as given, AUTH aside (checked already: see
 * logIn); whether the protocol changes is in its reply, so the requests after it wait for that.
 */
export function hello(args: Buffer[], done: (r: Buffer) => void, host: HelloHost): void {
  const given = args.length > 1 ? args[1].toString('latin1') : null;
  const version = helloVersion(given);
  if (version !== 0 && args.length > 2) {
    host.held.holdLater();
    const answered = (reply: Buffer): void => {
      if (!isErrorType(reply[0])) host.switchTo(version);
      done(reply);
      host.held.release();
    };
    return host.dispatcher.send(undefined, helloWithoutAuth(args), answered, 'own');
  }
  // Any other version goes as the client gave it: the node's error names what is wrong with it.
  const request =
    version !== 0
      ? (helloFor(version, true) as Buffer)
      : encodeCommand(given === null ? ['HELLO'] : ['HELLO', given]);
  if (version !== 0) host.switchTo(version);
  host.dispatcher.send(undefined, request, done, 'own');
}
