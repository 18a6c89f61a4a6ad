/**
 * A client's WAIT goes on its own connection right behind a write of the tunnel's own (the wait
 * marker), whose reply the client never sees; inside MULTI, where WAIT is only queued, nothing is
 * added. The marker's key hashes to the slot it was made for.
 */
import { describe, expect, it } from 'vitest';
import { WaitMarkers } from '../../src/protocol/wait-marker.js';
import { hashSlot } from '../../src/topology/hash-slot.js';
import { newSession } from '../helpers/session.js';
import { fakeLookup } from '../helpers/fake-map.js';
import { b, bulk, cmd, int, simple } from '../helpers/resp.js';

const MARKER = cmd('EVAL', 'marker', '1', 'k');

function setup() {
  let server = '';
  let client = '';
  const own: string[] = [];
  const session = newSession({
    lookup: fakeLookup,
    toServer: (x) => (server += x.toString('latin1')),
    toClient: (x) => (client += x.toString('latin1')),
    onOwnFromHere: (why) => own.push(`${server.length}: ${why}`),
    rewriteRequest: () => null,
    waitMarker: () => b(MARKER),
  });
  return { session, server: () => server, client: () => client, own };
}

describe('the wait marker', () => {
  it('goes right before WAIT, from where the client needs its own connection; its reply is dropped', () => {
    const t = setup();
    const set = cmd('SET', 'k', 'v');
    const wait = cmd('WAIT', '1', '100');
    t.session.fromClient(b(set + wait.slice(0, 7)));
    t.session.fromClient(b(wait.slice(7) + cmd('GET', 'k')));
    expect(t.server()).toBe(set + MARKER + wait + cmd('GET', 'k'));
    expect(t.own).toEqual([`${set.length}: WAIT counts the writes of the connection it runs on`]);
    t.session.fromServer(b(simple('OK') + int(1) + int(0) + bulk('v')));
    expect(t.client()).toBe(simple('OK') + int(0) + bulk('v'));
  });

  it('goes before a WAIT handed over already read (the request that pinned a shared lane)', () => {
    const t = setup();
    const wait = cmd('WAIT', '1', '100');
    // The lane read the WAIT; the facts it read go with it (here named as the lane names them).
    t.session.fromClientParsed(b(wait), { argc: 3, name: 'wait', arg1: null, arg2: null });
    t.session.fromClient(b(cmd('GET', 'k')));
    expect(t.server()).toBe(MARKER + wait + cmd('GET', 'k'));
    expect(t.own).toEqual(['0: WAIT counts the writes of the connection it runs on']);
    t.session.fromServer(b(int(1) + int(0) + bulk('v')));
    expect(t.client()).toBe(int(0) + bulk('v'));
  });

  it('a request handed over read is not read again: the facts handed with it are what count', () => {
    const t = setup();
    // Facts that do not match the bytes (no lane would hand these): no marker, as for a GET.
    t.session.fromClientParsed(b(cmd('WAIT', '1', '100')), { argc: 2, name: 'get', arg1: null, arg2: null });
    expect(t.server()).toBe(cmd('WAIT', '1', '100'));
    expect(t.own).toEqual([]);
  });

  it('inside MULTI, WAIT is only queued: nothing is added', () => {
    const t = setup();
    t.session.fromClient(b(cmd('MULTI') + cmd('WAIT', '1', '0')));
    expect(t.server()).toBe(cmd('MULTI') + cmd('WAIT', '1', '0'));
    expect(t.own).toEqual([]);
  });

  it("each marker's key hashes to the slot it was made for", () => {
    const markers = new WaitMarkers();
    for (const slot of [0, 1, 5460, 9999, 16383]) {
      const words = markers.for(slot).toString('latin1').split('\r\n');
      expect(hashSlot(words[words.length - 2])).toBe(slot);
    }
  });
});
