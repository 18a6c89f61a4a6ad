/**
 * HELLO [protover [AUTH username password] [SETNAME clientname]], read as a node reads it, so
 * that both modes switch a client's protocol or login only where the node would.
 */

/**
 * The protocol HELLO's first argument asks for: 2 or 3 only when it is exactly that digit, as a
 * node reads it ("03", "+3", "3.0" and " 3" get its "not an integer" error); 0 for any other.
 */
export function helloVersion(arg: string | null | undefined): 0 | 2 | 3 {
  return arg === '2' ? 2 : arg === '3' ? 3 : 0;
}

/**
 * HELLO's AUTH option, found by walking the options as the node does (AUTH takes two words,
 * SETNAME one; the node stops at any other word, so an AUTH after it is never read). A name
 * that is the word "auth" is a name.
 */
export function helloAuth(args: Buffer[]): { user: Buffer; password: Buffer } | null {
  for (let i = 2; i < args.length; i++) {
    const word = args[i].toString('latin1').toLowerCase();
    const more = args.length - 1 - i;
    if (word === 'auth' && more >= 2) return { user: args[i + 1], password: args[i + 2] };
    if (word !== 'setname' || more < 1) return null;
    i++;
  }
  return null;
}

/**
 * Whether HELLO's options are only SETNAMEs of names a node takes (printable ASCII, no space; or
 * empty): a node then does all it asks, and pinned mode can keep the client on a shared connection.
 */
export function helloOnlyNames(args: Buffer[]): boolean {
  for (let i = 2; i < args.length; i += 2) {
    if (args[i].toString('latin1').toLowerCase() !== 'setname' || i + 1 >= args.length) return false;
    for (const byte of args[i + 1]) if (byte < 0x21 || byte > 0x7e) return false;
  }
  return true;
}
