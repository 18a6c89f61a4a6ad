/**
 * Smart mode's lanes: a client's requests to one node keep their order across connections, and a
 * request that waits for the other lane goes with what was in force when it was issued (protocol,
 * login, a selected database), not with what the client sent after it. The connections are fakes
 * (named so) that record each request and answer when told.
 */
import { describe, expect, it } from 'vitest';
import type { Login } from '../../src/protocol/login.js';
import { Lanes, type SharedUpstreams } from '../../src/smart/lanes.js';
import type { NodeEntry } from '../../src/topology/node-table.js';
import type { ReplyHandler } from '../../src/upstream/reply-waiters.js';
import type { Upstream } from '../../src/upstream/upstream.js';

const node = { node: { id: 'n1', role: 'master' }, target: { label: 'n1' } } as unknown as NodeEntry;

/** A fake connection: what was sent on it, and the handlers still waiting. */
function fakeConnection(name: string, sent: string[], speaks = 2) {
  const waiting: ReplyHandler[] = [];
  const upstream = {
    speaks,
    send: (request: Buffer, handler: ReplyHandler) => {
      sent.push(`${name}: ${request.toString()}`);
      waiting.push(handler);
    },
  } as unknown as Upstream;
  return { upstream, answer: () => (waiting.shift() as ReplyHandler)(Buffer.from('+OK\r\n')) };
}

function harness() {
  const sent: string[] = [];
  let own = fakeConnection('own', sent);
  /** The protocols the client's own connections were made in, in order. */
  const made: number[] = [];
  const shared = new Map<string, ReturnType<typeof fakeConnection>>();
  const pool = {
    get: (_e: NodeEntry, protocol: number, login: Login | null = null, writes = false) => {
      const name = `shared RESP${protocol} ${login?.key ?? 'tunnel'} ${writes ? 'writes' : 'reads'}`;
      if (!shared.has(name)) shared.set(name, fakeConnection(name, sent));
      return (shared.get(name) as ReturnType<typeof fakeConnection>).upstream;
    },
    close: () => {},
  } as SharedUpstreams;
  const state = { protocol: 2, login: null as Login | null };
  const lanes = new Lanes(
    pool,
    (_e, protocol) => {
      if (made.length === 0) {
        made.push(protocol);
        own = fakeConnection(`own RESP${protocol}`, sent, protocol);
      }
      return own.upstream;
    },
    () => state.protocol,
    () => state.login,
  );
  /** Answers the oldest request waiting on the shared connection `name`. */
  const answerShared = (name: string): void =>
    (shared.get(name) as ReturnType<typeof fakeConnection>).answer();
  return {
    lanes,
    sent,
    made,
    state,
    answerShared,
    /** Answers the oldest request waiting on the client's own connection. */
    answerOwn: () => own.answer(),
    /** The client's own connection broke: the next request to the node gets a new one. */
    dropOwn: () => void made.pop(),
  };
}

const bytes = (s: string): Buffer => Buffer.from(s);

describe('smart lanes', () => {
  it('a request waiting behind the other lane goes with the protocol and login of when it was issued', () => {
    const h = harness();
    h.lanes.send(node, 'own', bytes('BLPOP l 1'), () => {});
    h.lanes.send(node, 'read', bytes('GET k'), () => {});
    // Sent after the GET, answered before the GET may go: HELLO 3 and a login of the client's own.
    h.state.protocol = 3;
    h.state.login = { key: 'reader', auth: bytes('AUTH reader pw') } as unknown as Login;
    expect(h.sent).toEqual(['own RESP2: BLPOP l 1']);
    h.answerOwn();
    expect(h.sent).toEqual(['own RESP2: BLPOP l 1', 'shared RESP2 tunnel reads: GET k']);
    // A later request goes with what is in force now (once the GET on the other connection is in).
    h.lanes.send(node, 'read', bytes('GET j'), () => {});
    h.answerShared('shared RESP2 tunnel reads');
    expect(h.sent.at(-1)).toBe('shared RESP3 reader reads: GET j');
  });

  it("the client's own connection answers each request in the protocol it was issued in", () => {
    const h = harness();
    h.lanes.send(node, 'shared', bytes('GET a'), () => {});
    // Must wait for the GET; issued in RESP2.
    h.lanes.send(node, 'own', bytes('CLIENT GETNAME'), () => {});
    h.state.protocol = 3;
    expect(h.sent).toEqual(['shared RESP2 tunnel reads: GET a']);
    h.answerShared('shared RESP2 tunnel reads');
    // The connection is made when the request goes, in the protocol the request was issued in.
    expect(h.made).toEqual([2]);
    expect(h.sent.at(-1)).toBe('own RESP2: CLIENT GETNAME');
    // A request issued in RESP3 on that connection: HELLO 3 goes first, once.
    h.lanes.send(node, 'own', bytes('CLIENT GETNAME'), () => {});
    h.lanes.send(node, 'own', bytes('CLIENT ID'), () => {});
    expect(h.sent.slice(2)).toEqual([
      'own RESP2: *2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n',
      'own RESP2: CLIENT GETNAME',
      'own RESP2: CLIENT ID',
    ]);
  });

  it('a request issued before SELECT moved the client onto its own connection stays on the shared one', () => {
    const h = harness();
    h.lanes.send(node, 'own', bytes('CLIENT SETNAME a'), () => {});
    h.lanes.send(node, 'shared-write', bytes('SET k v'), () => {});
    h.lanes.selected = true;
    h.answerOwn();
    expect(h.sent).toEqual(['own RESP2: CLIENT SETNAME a', 'shared RESP2 tunnel writes: SET k v']);
    h.lanes.send(node, 'read', bytes('GET k'), () => {});
    h.answerShared('shared RESP2 tunnel writes');
    expect(h.sent.at(-1)).toBe('own RESP2: GET k');
  });

  it('a WAIT gets the wait marker only when the client wrote to the node since the last marker', () => {
    const h = harness();
    const wait = (): void => h.lanes.sendWait(node, bytes('MARK'), bytes('WAIT 0 0'), () => {});
    wait(); // never wrote: counted as on a connection that never wrote
    h.answerOwn();
    h.lanes.send(node, 'read', bytes('GET k'), () => {});
    h.answerShared('shared RESP2 tunnel reads');
    wait(); // a read is no write
    h.answerOwn();
    h.lanes.send(node, 'shared-write', bytes('SET k v'), () => {});
    h.answerShared('shared RESP2 tunnel writes');
    wait();
    h.answerOwn();
    h.answerOwn();
    wait(); // the marker already follows the SET
    expect(h.sent).toEqual([
      'own RESP2: WAIT 0 0',
      'shared RESP2 tunnel reads: GET k',
      'own RESP2: WAIT 0 0',
      'shared RESP2 tunnel writes: SET k v',
      'own RESP2: MARK',
      'own RESP2: WAIT 0 0',
      'own RESP2: WAIT 0 0',
    ]);
  });

  it('a WAIT on a new own connection gets the marker again once the client has written', () => {
    const h = harness();
    h.lanes.send(node, 'shared-write', bytes('SET k v'), () => {});
    h.answerShared('shared RESP2 tunnel writes');
    h.lanes.sendWait(node, bytes('MARK'), bytes('WAIT 0 0'), () => {});
    h.answerOwn();
    h.answerOwn();
    h.dropOwn();
    h.lanes.sendWait(node, bytes('MARK'), bytes('WAIT 0 0'), () => {});
    expect(h.sent.slice(1)).toEqual([
      'own RESP2: MARK',
      'own RESP2: WAIT 0 0',
      'own RESP2: MARK',
      'own RESP2: WAIT 0 0',
    ]);
  });
});
