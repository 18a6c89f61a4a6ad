import type { AuthAttempt } from '../protocol/local-auth.js';
import type { Login } from '../protocol/login.js';
import { checkLogin } from '../upstream/login-check.js';
import type { SmartContext } from './context.js';
import type { HeldRequests } from './held-requests.js';

/** The client a login is for. */
export interface LoginHost {
  ctx: SmartContext;
  held: HeldRequests;
  protocol: () => number;
  /** The client's own login now (null: the tunnel's). */
  login: () => Login | null;
  /** The client is now logged in as `login` (null: the tunnel's own login). */
  become: (login: Login | null) => void;
  /** HELLO, once its AUTH has been accepted. */
  hello: (args: Buffer[], done: (r: Buffer) => void) => void;
}

/**
 * AUTH or HELLO … AUTH, in order: once every earlier request is answered, a node checks the login
 * (see checkLogin); requests after it wait, then run as the user it names. A refused login leaves
 * the client as it was. A new login closes the client's own connections: they open again logged
 * in as it.
 */
export function logIn(
  host: LoginHost,
  attempt: AuthAttempt,
  args: Buffer[],
  done: (r: Buffer) => void,
): void {
  const hello = args[0].toString('latin1').toLowerCase() === 'hello';
  const { ctx, held } = host;
  held.whenAnswered(() => {
    const tunnel = ctx.isTunnelCredential(attempt);
    checkLogin(ctx.shared, ctx.table.masters()[0], host.protocol(), attempt, tunnel, (login, reply) => {
      if (login !== undefined && login?.key !== host.login()?.key) host.become(login);
      if (hello && login !== undefined) host.hello(args, done);
      else done(reply);
      held.release();
    });
  });
}
