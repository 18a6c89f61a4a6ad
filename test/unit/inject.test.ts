/**
 * Requests the tunnel sends itself on an open connection (AUTH with a fresh token): only when the
 * client cannot notice, and their replies never reach the client.
 */
import { describe, expect, it } from 'vitest';
import { newSession } from '../helpers/session.js';
import { fakeLookup } from '../helpers/fake-map.js';
import { arr, b, bulk, cmd, err, int, map3, push, simple } from '../helpers/resp.js';

const AUTH = cmd('AUTH', 'tunnel', 'fresh-token');

function setup(): {
  session: ReturnType<typeof newSession>;
  toServer: () => string;
  toClient: () => string;
  internal: Array<[boolean, string]>;
} {
  let server = '';
  let client = '';
  const internal: Array<[boolean, string]> = [];
  const session = newSession({
    lookup: fakeLookup,
    toServer: (x) => (server += x.toString('latin1')),
    toClient: (x) => (client += x.toString('latin1')),
    onInternalReply: (ok, reply) => internal.push([ok, reply]),
  });
  return { session, toServer: () => server, toClient: () => client, internal };
}

describe('injected requests', () => {
  it('an idle connection: AUTH goes out, its +OK is consumed, the client sees only its own replies', () => {
    const t = setup();
    t.session.fromClient(b(cmd('GET', 'a')));
    t.session.fromServer(b(bulk('1')));
    expect(t.session.inject(b(AUTH))).toBe(true);
    t.session.fromClient(b(cmd('GET', 'b')));
    // The +OK split across chunks, then the GET's reply.
    for (const c of ['+O', 'K\r\n$', '1\r\n2\r\n']) t.session.fromServer(b(c));
    expect(t.toServer()).toBe(cmd('GET', 'a') + AUTH + cmd('GET', 'b'));
    expect(t.toClient()).toBe(bulk('1') + bulk('2'));
    expect(t.internal).toEqual([[true, '+OK']]);
  });

  it('an error reply to it is consumed too, and reported', () => {
    const t = setup();
    expect(t.session.inject(b(AUTH))).toBe(true);
    t.session.fromServer(b(err('WRONGPASS invalid username-password pair')));
    expect(t.toClient()).toBe('');
    expect(t.internal).toEqual([[false, '-WRONGPASS invalid username-password pair']]);
  });

  it('refused while a reply is outstanding, in MULTI, with CLIENT REPLY OFF, or mid-request', () => {
    const busy = setup();
    busy.session.fromClient(b(cmd('BLPOP', 'q', '0')));
    expect(busy.session.inject(b(AUTH))).toBe(false);

    const tx = setup();
    tx.session.fromClient(b(cmd('MULTI')));
    tx.session.fromServer(b(simple('OK')));
    expect(tx.session.inject(b(AUTH))).toBe(false);

    const off = setup();
    off.session.fromClient(b(cmd('CLIENT', 'REPLY', 'OFF')));
    expect(off.session.inject(b(AUTH))).toBe(false);

    const partial = setup();
    partial.session.fromClient(b('*2\r\n$3\r\nGET\r\n'));
    expect(partial.session.inject(b(AUTH))).toBe(false);
    expect(partial.toServer()).toBe('*2\r\n$3\r\nGET\r\n');
  });

  it('RESP2 pub/sub refuses AUTH, so it waits; RESP3 pub/sub allows it, pushes still reach the client', () => {
    const r2 = setup();
    r2.session.fromClient(b(cmd('SUBSCRIBE', 'c')));
    r2.session.fromServer(b(arr(bulk('subscribe'), bulk('c'), int(1))));
    expect(r2.session.inject(b(AUTH))).toBe(false);

    const r3 = setup();
    r3.session.fromClient(b(cmd('HELLO', '3') + cmd('SUBSCRIBE', 'c')));
    r3.session.fromServer(b(map3(bulk('proto'), int(3)) + push(bulk('subscribe'), bulk('c'), int(1))));
    expect(r3.session.inject(b(AUTH))).toBe(true);
    const message = push(bulk('message'), bulk('c'), bulk('hi'));
    r3.session.fromServer(b(message + simple('OK') + message));
    expect(r3.toClient()).toBe(
      map3(bulk('proto'), int(3)) + push(bulk('subscribe'), bulk('c'), int(1)) + message + message,
    );
    expect(r3.internal).toEqual([[true, '+OK']]);
  });
});
