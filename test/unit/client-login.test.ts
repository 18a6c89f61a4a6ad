/**
 * A pinned client that logs in itself keeps its own user: the session knows when a node accepted
 * its AUTH (so a credential refresh leaves it alone), and RESET brings back the tunnel's login
 * with an AUTH of the tunnel's own right behind it, whose reply the client never sees.
 */
import { describe, expect, it } from 'vitest';
import { newSession } from '../helpers/session.js';
import { fakeLookup } from '../helpers/fake-map.js';
import { b, bulk, cmd, err, map3, simple, int } from '../helpers/resp.js';

const TUNNEL_AUTH = cmd('AUTH', 'tunnel', 'token');

function setup(login: Buffer | null = b(TUNNEL_AUTH)) {
  let server = '';
  let client = '';
  const internal: boolean[] = [];
  const session = newSession({
    lookup: fakeLookup,
    toServer: (x) => (server += x.toString('latin1')),
    toClient: (x) => (client += x.toString('latin1')),
    onInternalReply: (ok) => internal.push(ok),
    loginAfterReset: () => login,
  });
  return { session, server: () => server, client: () => client, internal };
}

describe('a client that logs in itself', () => {
  it('AUTH accepted: the session says so; refused: it does not', () => {
    const t = setup();
    t.session.fromClient(b(cmd('AUTH', 'reader', 'wrong')));
    t.session.fromServer(b(err('WRONGPASS invalid username-password pair')));
    expect(t.session.clientLogin).toBe(false);
    t.session.fromClient(b(cmd('AUTH', 'reader', 'secret')));
    expect(t.session.clientLogin).toBe(false); // not until the node says yes
    t.session.fromServer(b(simple('OK')));
    expect(t.session.clientLogin).toBe(true);
    expect(t.client()).toBe(err('WRONGPASS invalid username-password pair') + simple('OK'));
  });

  it('HELLO 3 AUTH accepted counts; HELLO 3 SETNAME alone does not', () => {
    const t = setup();
    t.session.fromClient(b(cmd('HELLO', '3', 'SETNAME', 'x')));
    t.session.fromServer(b(map3(bulk('proto'), int(3))));
    expect(t.session.clientLogin).toBe(false);
    t.session.fromClient(b(cmd('HELLO', '3', 'AUTH', 'reader', 'secret')));
    t.session.fromServer(b(map3(bulk('proto'), int(3))));
    expect(t.session.clientLogin).toBe(true);
  });

  it('AUTH queued in MULTI counts at once (its reply is inside EXEC)', () => {
    const t = setup();
    t.session.fromClient(b(cmd('MULTI') + cmd('AUTH', 'reader', 'secret')));
    expect(t.session.clientLogin).toBe(true);
  });

  it('RESET: the tunnel AUTH follows it at once, ahead of pipelined requests; its reply is dropped', () => {
    const t = setup();
    t.session.fromClient(b(cmd('AUTH', 'reader', 'secret')));
    t.session.fromServer(b(simple('OK')));
    t.session.fromClient(b(cmd('RESET') + cmd('GET', 'k')));
    expect(t.server()).toBe(cmd('AUTH', 'reader', 'secret') + cmd('RESET') + TUNNEL_AUTH + cmd('GET', 'k'));
    t.session.fromServer(b(simple('RESET') + simple('OK') + bulk('v')));
    expect(t.client()).toBe(simple('OK') + simple('RESET') + bulk('v'));
    expect(t.internal).toEqual([true]);
    expect(t.session.clientLogin).toBe(false);
  });

  it('RESET split across chunks: the AUTH goes after its last byte', () => {
    const t = setup();
    const reset = cmd('RESET');
    t.session.fromClient(b(reset.slice(0, 5)));
    expect(t.server()).toBe(reset.slice(0, 5));
    t.session.fromClient(b(reset.slice(5)));
    expect(t.server()).toBe(reset + TUNNEL_AUTH);
  });

  it('without a tunnel credential nothing follows RESET', () => {
    const t = setup(null);
    t.session.fromClient(b(cmd('RESET')));
    expect(t.server()).toBe(cmd('RESET'));
  });
});
