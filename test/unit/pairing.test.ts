/**
 * Request/reply pairing hazards (PROTOCOL.md §7). Each test sends requests, then the replies a
 * server gives for them (written by hand from the server behaviour), and checks that exactly the
 * topology replies were rewritten and every other byte came back unchanged. Reply streams are fed
 * whole, byte by byte and split at every offset.
 */
import { describe, expect, it } from 'vitest';
import { ID1, ID2 } from '../helpers/fake-map.js';
import {
  arr,
  bulk,
  cmd,
  err,
  int,
  map3,
  null3,
  nullArr,
  nullBulk,
  push,
  simple,
  verbatim,
} from '../helpers/resp.js';
import {
  NODES_TEXT_LOCAL,
  NODES_TEXT_REMOTE,
  SLOTS_LOCAL,
  SLOTS_REMOTE,
  run,
  runAllSplits,
} from '../helpers/session-harness.js';

/** A user value shaped exactly like a CLUSTER SLOTS reply (EVAL can return one). */
const LOOKALIKE_SLOTS = SLOTS_REMOTE;
const EVAL_SLOTS = cmd('EVAL', "return {{0,8191,{'10.0.0.1',6379,'x'}}}", '0');
const SLOTS = cmd('CLUSTER', 'SLOTS');
const NODES = cmd('CLUSTER', 'NODES');
const MOVED_REMOTE = err('MOVED 3999 10.0.0.2:6379');
const MOVED_LOCAL = err('MOVED 3999 127.0.0.1:7002');
const HELLO3_REPLY = map3(bulk('server'), bulk('redis'), bulk('proto'), int(3));

function expectAll(requests: string, replies: string, expected: string, uncertain: number = 0): void {
  for (const r of runAllSplits(requests, replies)) {
    expect(r.toServer, r.how).toBe(requests);
    expect(r.toClient, r.how).toBe(expected);
    expect(r.uncertain.length, r.how).toBe(uncertain);
  }
}

describe('pairing: plain pipelines', () => {
  it('rewrites only the replies to CLUSTER SLOTS/NODES in a deep pipeline', () => {
    let req = '';
    let rep = '';
    let want = '';
    for (let i = 0; i < 60; i++) {
      if (i % 3 === 0) {
        req += SLOTS;
        rep += SLOTS_REMOTE;
        want += SLOTS_LOCAL;
      } else if (i % 3 === 1) {
        req += EVAL_SLOTS;
        rep += LOOKALIKE_SLOTS;
        want += LOOKALIKE_SLOTS;
      } else {
        req += cmd('GET', 'k');
        rep += bulk(NODES_TEXT_REMOTE);
        want += bulk(NODES_TEXT_REMOTE);
      }
    }
    const r = run([{ client: req }, { server: rep }]);
    expect(r.toClient).toBe(want);
    // byte-by-byte too
    const r2 = run([{ client: req }, { server: rep }], (d) => Array.from(d, (_, i) => d.subarray(i, i + 1)));
    expect(r2.toClient).toBe(want);
  });

  it('user values that look like addresses, NODES text or MOVED come back identical', () => {
    const req = cmd('GET', 'a') + cmd('GET', 'b') + cmd('GET', 'c') + NODES + cmd('LRANGE', 'l', '0', '-1');
    const rep =
      bulk('10.0.0.1:6379') +
      bulk(NODES_TEXT_REMOTE) +
      bulk('MOVED 3999 10.0.0.2:6379') +
      bulk(NODES_TEXT_REMOTE) +
      arr(bulk('10.0.0.1'), bulk('6379'));
    const want =
      bulk('10.0.0.1:6379') +
      bulk(NODES_TEXT_REMOTE) +
      bulk('MOVED 3999 10.0.0.2:6379') +
      bulk(NODES_TEXT_LOCAL) +
      arr(bulk('10.0.0.1'), bulk('6379'));
    expectAll(req, rep, want);
  });

  it('rewrites MOVED/ASK in any position, including a delayed reply to a blocked BLPOP', () => {
    const req = cmd('GET', 'x') + cmd('BLPOP', 'q', '0') + SLOTS + cmd('SET', 'y', '1');
    const rep = MOVED_REMOTE + MOVED_REMOTE + SLOTS_REMOTE + err('ASK 3999 10.0.0.1:6379');
    expectAll(req, rep, MOVED_LOCAL + MOVED_LOCAL + SLOTS_LOCAL + err('ASK 3999 127.0.0.1:7001'));
  });

  it('blocking commands keep order: BLPOP timeout then CLUSTER SLOTS', () => {
    expectAll(cmd('BLPOP', 'q', '0.2') + SLOTS, nullArr + SLOTS_REMOTE, nullArr + SLOTS_LOCAL);
  });

  it('requests that get no reply (empty inline line, *0, *-1) consume nothing', () => {
    const req = '\r\n' + '*0\r\n' + SLOTS + '*-1\r\n' + '   \n' + EVAL_SLOTS + 'CLUSTER SLOTS\r\n';
    expectAll(
      req,
      SLOTS_REMOTE + LOOKALIKE_SLOTS + SLOTS_REMOTE,
      SLOTS_LOCAL + LOOKALIKE_SLOTS + SLOTS_LOCAL,
    );
  });

  it('an attribute before a reply does not consume a reply slot', () => {
    const attr = '|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n';
    expectAll(
      EVAL_SLOTS + SLOTS,
      attr + LOOKALIKE_SLOTS + attr + SLOTS_REMOTE,
      attr + LOOKALIKE_SLOTS + attr + SLOTS_LOCAL,
    );
  });

  it('QUIT answers +OK and nothing after it is paired', () => {
    expectAll(SLOTS + cmd('QUIT') + cmd('GET', 'a'), SLOTS_REMOTE + simple('OK'), SLOTS_LOCAL + simple('OK'));
  });
});

describe('pairing: MULTI / EXEC / DISCARD', () => {
  it('maps queued commands onto the elements of EXEC', () => {
    const req = cmd('MULTI') + SLOTS + EVAL_SLOTS + NODES + cmd('EXEC');
    const rep =
      simple('OK') +
      simple('QUEUED') +
      simple('QUEUED') +
      simple('QUEUED') +
      arr(SLOTS_REMOTE, LOOKALIKE_SLOTS, bulk(NODES_TEXT_REMOTE));
    const want =
      simple('OK') +
      simple('QUEUED') +
      simple('QUEUED') +
      simple('QUEUED') +
      arr(SLOTS_LOCAL, LOOKALIKE_SLOTS, bulk(NODES_TEXT_LOCAL));
    expectAll(req, rep, want);
  });

  it('commands refused inside MULTI without being queued (WATCH, nested MULTI) are not in EXEC', () => {
    const req = cmd('MULTI') + EVAL_SLOTS + cmd('WATCH', 'k') + cmd('MULTI') + SLOTS + cmd('EXEC');
    const rep =
      simple('OK') +
      simple('QUEUED') +
      err('ERR WATCH inside MULTI is not allowed') +
      err('ERR MULTI calls can not be nested') +
      simple('QUEUED') +
      arr(LOOKALIKE_SLOTS, SLOTS_REMOTE);
    const want =
      simple('OK') +
      simple('QUEUED') +
      err('ERR WATCH inside MULTI is not allowed') +
      err('ERR MULTI calls can not be nested') +
      simple('QUEUED') +
      arr(LOOKALIKE_SLOTS, SLOTS_LOCAL);
    expectAll(req, rep, want);
  });

  it('EXECABORT after a queue-time error (MOVED rewritten), then pairing goes on', () => {
    const req = cmd('MULTI') + SLOTS + cmd('SET', 'other-slot', '1') + cmd('EXEC') + EVAL_SLOTS + SLOTS;
    const rep =
      simple('OK') +
      simple('QUEUED') +
      MOVED_REMOTE +
      err('EXECABORT Transaction discarded because of previous errors.') +
      LOOKALIKE_SLOTS +
      SLOTS_REMOTE;
    const want =
      simple('OK') +
      simple('QUEUED') +
      MOVED_LOCAL +
      err('EXECABORT Transaction discarded because of previous errors.') +
      LOOKALIKE_SLOTS +
      SLOTS_LOCAL;
    expectAll(req, rep, want);
  });

  it('a WATCH failure (null EXEC, RESP2 and RESP3) ends the transaction', () => {
    const req = cmd('WATCH', 'k') + cmd('MULTI') + SLOTS + cmd('EXEC') + EVAL_SLOTS;
    expectAll(
      req,
      simple('OK') + simple('OK') + simple('QUEUED') + nullArr + LOOKALIKE_SLOTS,
      simple('OK') + simple('OK') + simple('QUEUED') + nullArr + LOOKALIKE_SLOTS,
    );
    const req3 = cmd('HELLO', '3') + req;
    expectAll(
      req3,
      HELLO3_REPLY + simple('OK') + simple('OK') + simple('QUEUED') + null3 + LOOKALIKE_SLOTS,
      HELLO3_REPLY + simple('OK') + simple('OK') + simple('QUEUED') + null3 + LOOKALIKE_SLOTS,
    );
  });

  it('DISCARD drops the queued commands; EXEC errors do not confuse pairing', () => {
    const req = cmd('MULTI') + SLOTS + cmd('DISCARD') + cmd('EXEC') + SLOTS;
    const rep = simple('OK') + simple('QUEUED') + simple('OK') + err('ERR EXEC without MULTI') + SLOTS_REMOTE;
    expectAll(
      req,
      rep,
      simple('OK') + simple('QUEUED') + simple('OK') + err('ERR EXEC without MULTI') + SLOTS_LOCAL,
    );
  });

  it('runtime errors inside the EXEC array are elements like any other', () => {
    const req = cmd('MULTI') + cmd('INCR', 's') + SLOTS + cmd('EXEC');
    const rep =
      simple('OK') +
      simple('QUEUED') +
      simple('QUEUED') +
      arr(err('ERR value is not an integer or out of range'), SLOTS_REMOTE);
    expectAll(
      req,
      rep,
      simple('OK') +
        simple('QUEUED') +
        simple('QUEUED') +
        arr(err('ERR value is not an integer or out of range'), SLOTS_LOCAL),
    );
  });

  it('SUBSCRIBE inside MULTI fails safe: bytes unchanged, MOVED still rewritten, reported once', () => {
    // RESP2: EXEC's *2 is followed by 3 frames (two subscribe confirmations and the pong).
    const req =
      cmd('MULTI') + cmd('SUBSCRIBE', 'x', 'y') + cmd('PING') + cmd('EXEC') + SLOTS + cmd('GET', 'k');
    const rep =
      simple('OK') +
      simple('QUEUED') +
      simple('QUEUED') +
      '*2\r\n' +
      arr(bulk('subscribe'), bulk('x'), int(1)) +
      arr(bulk('subscribe'), bulk('y'), int(2)) +
      arr(bulk('pong'), bulk('')) +
      SLOTS_REMOTE +
      MOVED_REMOTE;
    const want =
      simple('OK') +
      simple('QUEUED') +
      simple('QUEUED') +
      '*2\r\n' +
      arr(bulk('subscribe'), bulk('x'), int(1)) +
      arr(bulk('subscribe'), bulk('y'), int(2)) +
      arr(bulk('pong'), bulk('')) +
      SLOTS_REMOTE +
      MOVED_LOCAL;
    expectAll(req, rep, want, 1);
  });

  it('a push nested inside an EXEC reply (7.0 own PUBLISH) fails safe', () => {
    const req =
      cmd('HELLO', '3') +
      cmd('SUBSCRIBE', 'c') +
      cmd('MULTI') +
      cmd('PUBLISH', 'c', 'hi') +
      cmd('EXEC') +
      SLOTS;
    const rep =
      HELLO3_REPLY +
      push(bulk('subscribe'), bulk('c'), int(1)) +
      simple('OK') +
      simple('QUEUED') +
      '*1\r\n' +
      push(bulk('message'), bulk('c'), bulk('hi')) +
      int(1) +
      SLOTS_REMOTE;
    expectAll(req, rep, rep, 1);
  });
});

describe('pairing: RESP2 pub/sub', () => {
  it('counts confirmations per channel, ignores messages, leaves the mode at count 0', () => {
    const req =
      cmd('SUBSCRIBE', 'a', 'b') +
      cmd('PSUBSCRIBE', 'p*') +
      cmd('PING') +
      cmd('UNSUBSCRIBE') +
      cmd('PUNSUBSCRIBE') +
      EVAL_SLOTS +
      SLOTS;
    const rep =
      arr(bulk('subscribe'), bulk('a'), int(1)) +
      arr(bulk('message'), bulk('a'), bulk(LOOKALIKE_SLOTS)) +
      arr(bulk('subscribe'), bulk('b'), int(2)) +
      arr(bulk('psubscribe'), bulk('p*'), int(3)) +
      arr(bulk('pmessage'), bulk('p*'), bulk('px'), bulk('10.0.0.1:6379')) +
      arr(bulk('pong'), bulk('')) +
      arr(bulk('unsubscribe'), bulk('b'), int(2)) +
      arr(bulk('message'), bulk('a'), bulk('late')) +
      arr(bulk('unsubscribe'), bulk('a'), int(1)) +
      arr(bulk('punsubscribe'), bulk('p*'), int(0)) +
      LOOKALIKE_SLOTS +
      SLOTS_REMOTE;
    const want = rep.slice(0, rep.length - SLOTS_REMOTE.length) + SLOTS_LOCAL;
    expectAll(req, rep, want);
  });

  it('a message that arrives while no request is waiting is not a reply', () => {
    const r = run([
      { client: cmd('SUBSCRIBE', 'a') },
      { server: arr(bulk('subscribe'), bulk('a'), int(1)) + arr(bulk('message'), bulk('a'), bulk('x')) },
      { client: cmd('UNSUBSCRIBE', 'a') + SLOTS },
      { server: arr(bulk('unsubscribe'), bulk('a'), int(0)) + SLOTS_REMOTE },
    ]);
    expect(r.toClient).toBe(
      arr(bulk('subscribe'), bulk('a'), int(1)) +
        arr(bulk('message'), bulk('a'), bulk('x')) +
        arr(bulk('unsubscribe'), bulk('a'), int(0)) +
        SLOTS_LOCAL,
    );
    expect(r.uncertain).toEqual([]);
  });

  it('UNSUBSCRIBE with nothing subscribed answers one frame with a null channel', () => {
    const req = cmd('UNSUBSCRIBE') + SLOTS;
    expectAll(
      req,
      arr(bulk('unsubscribe'), nullBulk, int(0)) + SLOTS_REMOTE,
      arr(bulk('unsubscribe'), nullBulk, int(0)) + SLOTS_LOCAL,
    );
  });

  it('commands refused in subscribed state consume their reply', () => {
    const req = cmd('SUBSCRIBE', 'a') + cmd('GET', 'k') + cmd('UNSUBSCRIBE', 'a') + SLOTS;
    const e = err(
      "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    );
    const rep =
      arr(bulk('subscribe'), bulk('a'), int(1)) +
      e +
      arr(bulk('unsubscribe'), bulk('a'), int(0)) +
      SLOTS_REMOTE;
    expectAll(
      req,
      rep,
      arr(bulk('subscribe'), bulk('a'), int(1)) +
        e +
        arr(bulk('unsubscribe'), bulk('a'), int(0)) +
        SLOTS_LOCAL,
    );
  });

  it('sharded pub/sub: smessage is unsolicited, an unsolicited sunsubscribe (slot moved) leaves the mode', () => {
    const req = cmd('SSUBSCRIBE', '{b}x') + cmd('SSUBSCRIBE', 'other') + EVAL_SLOTS + SLOTS;
    const rep =
      arr(bulk('ssubscribe'), bulk('{b}x'), int(1)) +
      arr(bulk('smessage'), bulk('{b}x'), bulk('hi')) +
      MOVED_REMOTE +
      arr(bulk('sunsubscribe'), bulk('{b}x'), int(0)) +
      LOOKALIKE_SLOTS +
      SLOTS_REMOTE;
    const want =
      arr(bulk('ssubscribe'), bulk('{b}x'), int(1)) +
      arr(bulk('smessage'), bulk('{b}x'), bulk('hi')) +
      MOVED_LOCAL +
      arr(bulk('sunsubscribe'), bulk('{b}x'), int(0)) +
      LOOKALIKE_SLOTS +
      SLOTS_LOCAL;
    expectAll(req, rep, want);
  });

  it('a subscribe-family error (CROSSSLOT) ends that command', () => {
    const req = cmd('SSUBSCRIBE', 'a', 'b') + SLOTS;
    expectAll(
      req,
      err("CROSSSLOT Keys in request don't hash to the same slot") + SLOTS_REMOTE,
      err("CROSSSLOT Keys in request don't hash to the same slot") + SLOTS_LOCAL,
    );
  });

  it('RESET in subscribed state drops subscriptions without frames', () => {
    const req = cmd('SUBSCRIBE', 'a') + cmd('RESET') + EVAL_SLOTS + SLOTS;
    const rep =
      arr(bulk('subscribe'), bulk('a'), int(1)) +
      simple('RESET') +
      arr(bulk('message'), bulk('a'), bulk('x')) +
      SLOTS_REMOTE;
    // After RESET the connection is out of pub/sub: the array that looks like a message is EVAL's reply.
    expectAll(
      req,
      rep,
      arr(bulk('subscribe'), bulk('a'), int(1)) +
        simple('RESET') +
        arr(bulk('message'), bulk('a'), bulk('x')) +
        SLOTS_LOCAL,
    );
  });
});

describe('pairing: RESP3', () => {
  it('HELLO 3 switches protocol with its own reply; pushes never consume a reply slot', () => {
    const req = cmd('HELLO', '3') + cmd('CLIENT', 'TRACKING', 'on') + cmd('GET', 'b') + SLOTS + NODES;
    const invalidate = push(bulk('invalidate'), arr(bulk('b')));
    const rep =
      HELLO3_REPLY +
      simple('OK') +
      invalidate +
      bulk('v') +
      invalidate +
      SLOTS_REMOTE +
      push(bulk('invalidate'), null3) +
      verbatim(NODES_TEXT_REMOTE);
    const want =
      HELLO3_REPLY +
      simple('OK') +
      invalidate +
      bulk('v') +
      invalidate +
      SLOTS_LOCAL +
      push(bulk('invalidate'), null3) +
      verbatim(NODES_TEXT_LOCAL);
    expectAll(req, rep, want);
  });

  it("SUBSCRIBE family answers only with pushes; a message push before PUBLISH's reply (7.0)", () => {
    const req =
      cmd('HELLO', '3') +
      cmd('SUBSCRIBE', 'c', 'd') +
      cmd('PUBLISH', 'c', 'hi') +
      SLOTS +
      cmd('UNSUBSCRIBE') +
      SLOTS;
    const rep =
      HELLO3_REPLY +
      push(bulk('subscribe'), bulk('c'), int(1)) +
      push(bulk('subscribe'), bulk('d'), int(2)) +
      push(bulk('message'), bulk('c'), bulk('hi')) +
      int(1) +
      SLOTS_REMOTE +
      push(bulk('unsubscribe'), bulk('d'), int(1)) +
      push(bulk('unsubscribe'), bulk('c'), int(0)) +
      SLOTS_REMOTE;
    const want = rep.replace(SLOTS_REMOTE, SLOTS_LOCAL).replace(SLOTS_REMOTE, SLOTS_LOCAL);
    expectAll(req, rep, want);
  });

  it('a failed HELLO (NOPROTO) keeps RESP2; HELLO 2 goes back', () => {
    const req =
      cmd('HELLO', '4') + cmd('SUBSCRIBE', 'a') + cmd('UNSUBSCRIBE', 'a') + cmd('HELLO', '2') + SLOTS;
    const rep =
      err('NOPROTO unsupported protocol version') +
      arr(bulk('subscribe'), bulk('a'), int(1)) +
      arr(bulk('unsubscribe'), bulk('a'), int(0)) +
      arr(bulk('server'), bulk('redis')) +
      SLOTS_REMOTE;
    expectAll(req, rep, rep.replace(SLOTS_REMOTE, SLOTS_LOCAL));
  });
});

describe('pairing: CLIENT REPLY, MONITOR, SYNC', () => {
  it('CLIENT REPLY SKIP silences itself and the next command', () => {
    const req = cmd('CLIENT', 'REPLY', 'SKIP') + SLOTS + EVAL_SLOTS + SLOTS;
    expectAll(req, LOOKALIKE_SLOTS + SLOTS_REMOTE, LOOKALIKE_SLOTS + SLOTS_LOCAL);
  });

  it('CLIENT REPLY OFF silences everything (MOVED included) until ON answers +OK', () => {
    const req =
      cmd('CLIENT', 'REPLY', 'OFF') +
      SLOTS +
      cmd('GET', 'x') +
      cmd('CLIENT', 'REPLY', 'ON') +
      EVAL_SLOTS +
      SLOTS;
    expectAll(
      req,
      simple('OK') + LOOKALIKE_SLOTS + SLOTS_REMOTE,
      simple('OK') + LOOKALIKE_SLOTS + SLOTS_LOCAL,
    );
  });

  it('CLIENT REPLY with a bad argument answers an error', () => {
    const req = cmd('CLIENT', 'REPLY', 'MAYBE') + SLOTS;
    expectAll(req, err('ERR syntax error') + SLOTS_REMOTE, err('ERR syntax error') + SLOTS_LOCAL);
  });

  it('MONITOR turns the connection into passthrough; MOVED is still rewritten', () => {
    const req = SLOTS + cmd('MONITOR') + SLOTS + cmd('GET', 'x');
    const line = simple('1795315439.466243 [0 127.0.0.1:41184] "CLUSTER" "SLOTS"');
    const rep = SLOTS_REMOTE + simple('OK') + line + SLOTS_REMOTE + line + MOVED_REMOTE;
    const want = SLOTS_LOCAL + simple('OK') + line + SLOTS_REMOTE + line + MOVED_LOCAL;
    expectAll(req, rep, want);
  });

  it('PSYNC turns the reply stream raw (the RDB payload has no CRLF)', () => {
    const req = SLOTS + cmd('PSYNC', '?', '-1');
    const rep =
      SLOTS_REMOTE +
      '+FULLRESYNC 8de1787ba490483314a4d30f1c628bc5025eb761 0\r\n$5\r\nREDIS*1\r\n$4\r\nPING\r\n';
    expectAll(req, rep, SLOTS_LOCAL + rep.slice(SLOTS_REMOTE.length));
  });
});

describe('pairing: fail safe', () => {
  it('a reply with no request waiting stops pairing, reported once', () => {
    const rep = err('ERR max number of clients reached') + SLOTS_REMOTE + MOVED_REMOTE;
    const r = run([
      { server: err('ERR max number of clients reached') },
      { client: SLOTS + cmd('GET', 'x') },
      { server: SLOTS_REMOTE + MOVED_REMOTE },
    ]);
    expect(r.toClient).toBe(rep.replace(MOVED_REMOTE, MOVED_LOCAL));
    expect(r.uncertain).toHaveLength(1);
  });

  it('a reply that does not fit a subscribe command stops pairing', () => {
    const r = run([{ client: cmd('SUBSCRIBE', 'a') + SLOTS }, { server: simple('OK') + SLOTS_REMOTE }]);
    expect(r.toClient).toBe(simple('OK') + SLOTS_REMOTE);
    expect(r.uncertain).toEqual(['unexpected reply to subscribe']);
  });

  it('ASK and MOVED need no pairing: rewritten after fail-safe too', () => {
    const r = run([
      { client: cmd('MULTI') + cmd('CLIENT', 'REPLY', 'OFF') + cmd('EXEC') },
      { server: simple('OK') + simple('QUEUED') + arr(simple('OK')) + MOVED_REMOTE },
    ]);
    expect(r.toClient).toBe(simple('OK') + simple('QUEUED') + arr(simple('OK')) + MOVED_LOCAL);
    expect(r.uncertain).toHaveLength(1);
  });
});

describe('unknown nodes', () => {
  it('holds a reply naming an unknown node until learn() settles, keeping order', async () => {
    const known = new Map<string, { host: string; port: number }>();
    let release: () => void = () => {};
    const learned = new Promise<void>((resolve) => (release = resolve));
    let toClient = '';
    let resumed = 0;
    const { newSession } = await import('../helpers/session.js');
    const { fakeLookup } = await import('../helpers/fake-map.js');
    const session = newSession({
      lookup: (ref) => known.get(`${ref.host}:${ref.port}`) ?? fakeLookup(ref),
      toServer: () => {},
      toClient: (b) => (toClient += b.toString('latin1')),
      learn: (missing) => {
        expect(missing).toEqual([{ host: '10.9.9.9', port: 6379, slot: 5 }]);
        return learned.then(() => void known.set('10.9.9.9:6379', { host: '127.0.0.1', port: 7009 }));
      },
      onResume: () => resumed++,
    });
    session.fromClient(Buffer.from(cmd('GET', 'a') + cmd('GET', 'b') + SLOTS));
    expect(session.fromServer(Buffer.from(bulk('1') + err('MOVED 5 10.9.9.9:6379')))).toBe(false);
    expect(session.fromServer(Buffer.from(SLOTS_REMOTE))).toBe(false);
    expect(toClient).toBe(bulk('1'));
    release();
    await learned;
    await new Promise((r) => setImmediate(r));
    expect(toClient).toBe(bulk('1') + err('MOVED 5 127.0.0.1:7009') + SLOTS_LOCAL);
    expect(resumed).toBe(1);
  });
});

describe('node ids in fixtures', () => {
  it('use distinct ids', () => {
    expect(ID1).not.toBe(ID2);
  });
});
