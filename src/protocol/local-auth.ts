import { createHash, timingSafeEqual } from 'node:crypto';
import { encodeCommand } from '../resp/encode.js';
import { helloAuth } from './hello.js';

/**
 * `--local-password`: on a shared machine, clients must AUTH to the tunnel before it lets them use
 * the cluster with its own credentials. The tunnel checks and answers AUTH itself (any user name,
 * unless one is given); the password never reaches a node or a log. I/O-free: the socket layer
 * and smart mode both ask it.
 */
export class LocalAuth {
  private readonly digest: Buffer;

  constructor(
    password: string,
    /** When given, AUTH must name this user; otherwise any user name is accepted. */
    private readonly user?: string,
  ) {
    this.digest = sha256(Buffer.from(password));
  }

  /** Compares in constant time (of the hashes), so timing tells nothing about the password. */
  accepts(attempt: AuthAttempt): boolean {
    if (this.user !== undefined && attempt.user !== undefined && attempt.user !== this.user) return false;
    if (this.user !== undefined && attempt.user === undefined && this.user !== 'default') return false;
    return timingSafeEqual(sha256(attempt.password), this.digest);
  }
}

function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

export interface AuthAttempt {
  user?: string;
  password: Buffer;
}

/** The commands that carry credentials: held until complete in pinned mode, for `rewriteCredentials`. */
export const CREDENTIAL_COMMANDS = ['auth', 'hello'] as const;

/** Replies as a server with `requirepass` gives them. */
export const NOAUTH = Buffer.from('-NOAUTH Authentication required.\r\n');
export const WRONGPASS = Buffer.from('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
export const HELLO_NOAUTH = Buffer.from(
  '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
);
export const AUTH_ARITY = Buffer.from("-ERR wrong number of arguments for 'auth' command\r\n");
export const OK = Buffer.from('+OK\r\n');

/** The credentials in `AUTH [user] password`, or null when the arity is wrong. */
export function authAttempt(args: Buffer[]): AuthAttempt | null {
  if (args.length === 2) return { password: args[1] };
  if (args.length === 3) return { user: args[1].toString('latin1'), password: args[2] };
  return null;
}

/** `HELLO proto AUTH user pass ...`: the credentials it carries, if any. */
export function helloAttempt(args: Buffer[]): AuthAttempt | null {
  const auth = helloAuth(args);
  return auth && { user: auth.user.toString('latin1'), password: auth.password };
}

/** The HELLO without its AUTH option, as it goes to a node (the tunnel authenticates there). */
export function helloWithoutAuth(args: Buffer[]): Buffer {
  const out = args.slice(0, 2);
  // The options walked as the node walks them (see helloAuth): from a word it refuses on, as given.
  for (let i = 2; i < args.length; i++) {
    const word = args[i].toString('latin1').toLowerCase();
    const more = args.length - 1 - i;
    if (word === 'auth' && more >= 2) i += 2;
    else if (word === 'setname' && more >= 1) out.push(args[i], args[++i]);
    else return encodeCommand([...out, ...args.slice(i)]);
  }
  return encodeCommand(out);
}

/**
 * In pinned mode a reply must come from the node, in order with the others: an AUTH the tunnel
 * accepts goes to the node as `SELECT 0` (a no-op answered +OK in a cluster), one it refuses as an
 * AUTH no user can pass (answered -WRONGPASS), never with the client's password in it.
 */
/** What to do with one request under --local-password: answer it here, or let it go on. */
export type GateStep = { reply: Buffer } | { pass: true };
const PASS: GateStep = { pass: true };

/**
 * The one rule set for both modes: AUTH is answered here (+OK, -WRONGPASS or the arity error);
 * HELLO … AUTH authenticates and goes on (its AUTH is dropped on the way); before AUTH, QUIT goes
 * on and everything else is answered -NOAUTH, as a server with a password answers it.
 */
export function gate(
  auth: LocalAuth,
  authed: boolean,
  name: string,
  args: Buffer[],
): { step: GateStep; authed: boolean } {
  if (name === 'auth') {
    const attempt = authAttempt(args);
    if (!attempt) return { step: { reply: AUTH_ARITY }, authed };
    return auth.accepts(attempt)
      ? { step: { reply: OK }, authed: true }
      : { step: { reply: WRONGPASS }, authed };
  }
  if (name === 'hello') {
    const attempt = helloAttempt(args);
    if (attempt)
      return auth.accepts(attempt) ? { step: PASS, authed: true } : { step: { reply: WRONGPASS }, authed };
    return { step: authed ? PASS : { reply: HELLO_NOAUTH }, authed };
  }
  return { step: authed || name === 'quit' ? PASS : { reply: NOAUTH }, authed };
}

const ACCEPTED_STAND_IN = encodeCommand(['SELECT', '0']);
const REFUSED_STAND_IN = encodeCommand(['AUTH', 'redis-cluster-tunnel:refused', '-']);
/** AUTH with no argument: the node's own arity error, without whatever the client typed. */
const ARITY_STAND_IN = encodeCommand(['AUTH']);

/**
 * An authenticated pinned client's AUTH or HELLO … AUTH, as it goes to the node: a stand-in
 * (see above), or the HELLO without its AUTH; null for a request that carries no credentials.
 */
export function rewriteCredentials(args: Buffer[], auth: LocalAuth): Buffer | null {
  const name = args[0].toString('latin1').toLowerCase();
  if (name === 'auth') {
    const attempt = authAttempt(args);
    if (!attempt) return ARITY_STAND_IN;
    return auth.accepts(attempt) ? ACCEPTED_STAND_IN : REFUSED_STAND_IN;
  }
  if (name !== 'hello') return null;
  const attempt = helloAttempt(args);
  if (!attempt) return null;
  return auth.accepts(attempt) ? helloWithoutAuth(args) : REFUSED_STAND_IN;
}
