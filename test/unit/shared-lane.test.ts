/**
 * The shared lane's rules, with a fake upstream (named so): it records what each send carried and
 * lets the test answer or fail it, so request splitting, pinning and ordering can be checked byte by
 * byte without a node. The lane on the real cluster is in test/e2e/shared-lane.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SharedLane } from '../../src/pinned/shared-lane.js';
import type { HotKeys } from '../../src/net/hot-keys.js';
import type { SpanHandler } from '../../src/upstream/reply-waiters.js';
import type { Upstream } from '../../src/upstream/upstream.js';
import { recordedReading } from '../helpers/recorded-commands.js';
import { ClientRequests } from '../../src/client/requests.js';
import { type Login, loginOf } from '../../src/protocol/login.js';

const READING = recordedReading();

/** A lane's requests as pinned mode reads them: lent runs, no arguments kept. */
const laneRequests = (): ClientRequests => new ClientRequests(READING, {}, { lent: true, keepArgs: false });

interface Sent {
  bytes: string;
  replies: number;
  span: SpanHandler;
  /**
   * Which of the node's shared connections it went on: protocol, login (null: the tunnel's), and
   * the one for writes or the other.
   */
  protocol: 2 | 3;
  login: string | null;
  writes: boolean;
}

/** An AUTH the lane asked to have checked, and how to answer it. */
interface Check {
  user: string | undefined;
  password: string;
  done: (login: Login | null | undefined, reply: Buffer) => void;
}

/** A lane on fake upstreams (one per protocol), and what reached its owner. */
function harness() {
  const sent: Sent[] = [];
  const checks: Check[] = [];
  const fake = (protocol: 2 | 3, login: Login | null, writes: boolean): Upstream =>
    ({
      unreachable: false,
      sendSpans: (request: Buffer, replies: number, span: SpanHandler) =>
        sent.push({
          bytes: request.toString('latin1'),
          replies,
          span,
          protocol,
          login: login?.key ?? null,
          writes,
        }),
    }) as unknown as Upstream;
  const got = {
    replies: [] as string[],
    pins: [] as string[],
    broken: [] as string[],
    idle: 0,
    closed: 0,
    /** Requests the lane could not read, by error code. */
    malformed: [] as string[],
    /** What the lane had the reply tracker record: names, or the argument count of a nameless one. */
    tracked: [] as string[],
  };
  const requests = laneRequests();
  const lane = new SharedLane(
    {
      upstream: (protocol, login, writes) => fake(protocol, login, writes),
      checkLogin: (attempt, _protocol, done) =>
        checks.push({ user: attempt.user, password: attempt.password.toString(), done }),
      track: (r) => got.tracked.push(r.name ?? `argc ${r.argc}`),
      rewrite: (request) => (request.includes('MIGRATE') ? Buffer.from('rewritten') : null),
      reply: (span) => got.replies.push(span.toString('latin1')),
      broken: (_u, reason) => got.broken.push(reason),
      pin: (why) => got.pins.push(why),
      idle: () => got.idle++,
      close: () => got.closed++,
      malformed: (e) => got.malformed.push(e.code),
    },
    requests,
  );
  const held = (): string => (lane.held ?? []).map((b) => b.toString('latin1')).join('');
  return { lane, sent, got, held, checks, requests };
}

/** Counts the requests the lane's parser reads whole from here on. */
function countReads(requests: ClientRequests): () => number {
  const parser = requests.parser;
  const next = parser.next.bind(parser);
  let read = 0;
  parser.next = (chunk: Buffer, pos: number): number => {
    const end = next(chunk, pos);
    if (end >= 0) read++;
    return end;
  };
  return () => read;
}

const push = (lane: SharedLane, s: string): void => lane.push(Buffer.from(s, 'latin1'));

/** Multibulk requests from words split on spaces (what an inline line becomes on the shared connection). */
const mb = (...lines: string[]): string =>
  lines
    .map((l) => {
      const words = l.split(' ');
      return `*${words.length}\r\n` + words.map((w) => `$${w.length}\r\n${w}\r\n`).join('');
    })
    .join('');

describe('the shared lane', () => {
  it('sends whole plain requests, one send per push, counting their replies', () => {
    const { lane, sent } = harness();
    push(lane, '*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
    expect(sent.map((s) => [s.bytes, s.replies])).toEqual([
      ['*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', 2],
    ]);
    expect(lane.inflight).toBe(2);
  });

  it('holds a request split over pushes until it is whole, and sends it in one piece', () => {
    const { lane, sent } = harness();
    push(lane, '*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGE');
    push(lane, 'T\r\n$1');
    push(lane, '\r\nk\r\n' + mb('PING'));
    expect(sent.map((s) => [s.bytes, s.replies])).toEqual([
      ['*1\r\n$4\r\nPING\r\n', 1],
      ['*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', 1],
      [mb('PING'), 1],
    ]);
  });

  it('an empty inline line is answered by nothing, so it counts no reply', () => {
    const { lane, sent } = harness();
    push(lane, '\r\n');
    expect(sent).toEqual([]);
    push(lane, '\r\nPING\r\n');
    expect(sent.map((s) => s.replies)).toEqual([1]);
  });

  it('stops at the first request that needs its own connection and keeps every byte from it on', () => {
    const { lane, sent, got, held } = harness();
    push(lane, mb('GET a', 'client getname', 'GET b'));
    push(lane, mb('GET c'));
    expect(sent.map((s) => s.bytes)).toEqual([mb('GET a')]);
    expect(got.pins).toEqual(['CLIENT needs a connection of its own']);
    expect(held()).toBe(mb('client getname', 'GET b', 'GET c'));
  });

  it('only what the policy shares goes on: an unknown, admin or blocking command, or an unknown subcommand, pins', () => {
    for (const line of [
      'NOSUCHCOMMAND x',
      'CONFIG GET maxmemory',
      'DEBUG SLEEP 1',
      'BLPOP l 1',
      'OBJECT NOSUCH k',
      'CLUSTER',
    ]) {
      const { lane, sent, got, held } = harness();
      push(lane, mb('GET a', line, 'GET b'));
      expect(
        sent.map((s) => s.bytes),
        line,
      ).toEqual([mb('GET a')]);
      expect(got.pins, line).toHaveLength(1);
      expect(held(), line).toBe(mb(line, 'GET b'));
    }
    const { lane, sent, got } = harness();
    push(lane, mb('EVAL x 0', 'OBJECT ENCODING k', 'cluster slots', 'georadius_ro g 0 0 1 km'));
    expect(sent.map((s) => [s.bytes, s.replies])).toEqual([
      [mb('EVAL x 0', 'OBJECT ENCODING k', 'cluster slots', 'georadius_ro g 0 0 1 km'), 4],
    ]);
    expect(got.pins).toEqual([]);
  });

  it('writes take the shared connection for writes: reads follow writes in flight, a write waits for reads in flight', () => {
    const { lane, sent, got } = harness();
    push(lane, mb('GET a', 'SET b 1', 'GET b'));
    expect(sent.map((s) => [s.bytes, s.writes])).toEqual([[mb('GET a'), false]]);
    push(lane, mb('GET c'));
    expect(sent).toHaveLength(1);
    sent[0].span(Buffer.from('$1\r\na\r\n'), 1);
    // The write goes as it was read, then what followed it: both on the connection for writes.
    expect(sent.slice(1).map((s) => [s.bytes, s.writes, s.replies])).toEqual([
      [mb('SET b 1'), true, 1],
      [mb('GET b', 'GET c'), true, 2],
    ]);
    sent[1].span(Buffer.from('+OK\r\n'), 1);
    sent[2].span(Buffer.from('$1\r\n1\r\n'), 1);
    push(lane, mb('INCR n'));
    expect(sent[3]).toMatchObject({ bytes: mb('INCR n'), writes: true });
    sent[2].span(Buffer.from('$-1\r\n'), 1);
    sent[3].span(Buffer.from(':1\r\n'), 1);
    expect(got.replies).toEqual(['$1\r\na\r\n', '+OK\r\n', '$1\r\n1\r\n', '$-1\r\n', ':1\r\n']);
    // Nothing in flight: a read takes the other connection again.
    push(lane, mb('GET d'));
    expect(sent[4]).toMatchObject({ bytes: mb('GET d'), writes: false });
    expect(got.pins).toEqual([]);
  });

  it('an AUTH that waits for replies keeps its credentials, though the read they came in is reused', () => {
    const { lane, sent, checks } = harness();
    const run = Buffer.from(mb('GET a', 'AUTH u secret'), 'latin1');
    lane.push(run);
    expect(checks).toHaveLength(0); // AUTH waits for GET's reply
    run.fill('x'); // the client's read buffer takes its next read
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    expect(checks.map((c) => [c.user, c.password])).toEqual([['u', 'secret']]);
  });

  it('reads each request once: a write that waits for reads, or HELLO for every reply, is not read again', () => {
    const { lane, sent, requests } = harness();
    const reads = countReads(requests);
    push(lane, mb('GET a', 'SET b 1', 'GET b'));
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    push(lane, mb('SET c 1'));
    expect(reads()).toBe(4);
    expect(sent.map((s) => s.bytes)).toEqual([mb('GET a'), mb('SET b 1'), mb('GET b'), mb('SET c 1')]);
    // HELLO 3, which waits for every reply in flight to switch protocol, is not read again either.
    push(lane, mb('HELLO 3', 'GET d'));
    for (const s of sent.slice(1)) s.span(Buffer.from('+OK\r\n'.repeat(s.replies)), s.replies);
    expect(reads()).toBe(6);
    expect(sent.slice(4).map((s) => [s.bytes, s.protocol])).toEqual([
      [mb('HELLO 3'), 3],
      [mb('GET d'), 3],
    ]);
  });

  it('CLIENT SETNAME and SETINFO go as plain requests, the last of each kept as a label in the order last set, even split over pushes', () => {
    const { lane, sent, got } = harness();
    const setinfo = (attr: string, v: string): string =>
      `*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$${attr.length}\r\n${attr}\r\n$${v.length}\r\n${v}\r\n`;
    push(lane, mb('client setname first') + setinfo('LIB-NAME', 'lib') + mb('CLIENT SETNAME second'));
    const ver = setinfo('lib-ver', '1.2');
    push(lane, ver.slice(0, 20));
    push(lane, ver.slice(20) + mb('PING'));
    expect(got.pins).toEqual([]);
    expect(sent.map((s) => s.bytes).join('')).toBe(
      mb('client setname first') +
        setinfo('LIB-NAME', 'lib') +
        mb('CLIENT SETNAME second') +
        ver +
        mb('PING'),
    );
    // In the order each was last set: replayed so, the last word on the name is the last one sent.
    expect([...lane.labels.values()].map((b) => b.toString())).toEqual([
      setinfo('LIB-NAME', 'lib'),
      mb('CLIENT SETNAME second'),
      ver,
    ]);
  });

  it('past 8 distinct labels, the next one takes its own connection', () => {
    const { lane, got, held } = harness();
    for (let i = 0; i < 7; i++) push(lane, mb(`CLIENT SETINFO attr${i} v`));
    push(lane, mb('CLIENT SETNAME n', 'CLIENT SETNAME m'));
    expect(lane.labels.size).toBe(8);
    expect(got.pins).toEqual([]);
    push(lane, mb('CLIENT SETINFO attr7 v'));
    expect(got.pins).toEqual(['CLIENT needs a connection of its own']);
    expect(held()).toBe(mb('CLIENT SETINFO attr7 v'));
  });

  it('a pinning request begun in an earlier push is held whole', () => {
    const { lane, sent, held } = harness();
    push(lane, mb('PING') + '*2\r\n$5\r\nBLPOP');
    push(lane, '\r\n$1\r\nq\r\n');
    expect(sent.map((s) => s.bytes)).toEqual([mb('PING')]);
    expect(held()).toBe('*2\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n');
  });

  it('a malformed request is answered in the node’s words after the replies before it, and the client is ended; nothing after it is read', () => {
    const { lane, sent, got } = harness();
    push(lane, mb('PING') + '*1\r\n!oops\r\n' + mb('SET k v'));
    expect(sent.map((s) => s.bytes)).toEqual([mb('PING')]);
    expect(got.malformed).toEqual(['ERR_EXPECTED_BULK']);
    expect(got.replies).toEqual([]);
    sent[0].span(Buffer.from('+PONG\r\n'), 1);
    expect(got.replies).toEqual(['+PONG\r\n', "-ERR Protocol error: expected '$', got '!'\r\n"]);
    expect(got.closed).toBe(1);
    expect(got.pins).toEqual([]);
    push(lane, mb('GET k'));
    expect(sent).toHaveLength(1);
  });

  it('a request still incomplete past 256 KiB pins, keeping all of it', () => {
    const { lane, sent, got, held } = harness();
    const value = 'x'.repeat(300 * 1024);
    const request = `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n${value}\r\n`;
    push(lane, request.slice(0, 100 * 1024));
    expect(got.pins).toEqual([]);
    push(lane, request.slice(100 * 1024, 290 * 1024));
    expect(got.pins).toEqual(['a request over 256 KiB streams on its own connection']);
    push(lane, request.slice(290 * 1024));
    expect(sent).toEqual([]);
    expect(held()).toBe(request);
  });

  it('at most 16 requests are in flight: the 17th, sent before replies came, takes its own connection', () => {
    const { lane, sent, got, held } = harness();
    push(lane, mb('PING').repeat(10));
    push(lane, mb('PING').repeat(6) + mb('ECHO a', 'ECHO b'));
    expect(sent.map((s) => s.replies)).toEqual([10, 6]);
    expect(got.pins).toEqual(['more than 16 requests in flight']);
    expect(held()).toBe(mb('ECHO a', 'ECHO b'));
  });

  it('replies reach the owner as they come; the last one tells it the lane is idle', () => {
    const { lane, sent, got } = harness();
    push(lane, 'GET a\r\nGET b\r\n');
    sent[0].span(Buffer.from('$1\r\nA\r\n$1'), 1);
    expect(got.idle).toBe(0);
    sent[0].span(Buffer.from('\r\nB\r\n'), 1);
    expect(got.replies).toEqual(['$1\r\nA\r\n$1', '\r\nB\r\n']);
    expect(lane.inflight).toBe(0);
    expect(got.idle).toBe(1);
  });

  it('a failure is reported once, and nothing after it reaches the owner', () => {
    const { lane, sent, got } = harness();
    push(lane, 'GET a\r\n');
    push(lane, 'GET b\r\n');
    sent[0].span(null, 1, 'node closed');
    sent[1].span(Buffer.from('+late\r\n'), 1);
    expect(got.broken).toEqual(['node closed']);
    expect(got.replies).toEqual([]);
  });

  it('HELLO 3 waits for the replies in flight, then it and what follows take the RESP3 shared connection', () => {
    const { lane, sent, got } = harness();
    push(lane, mb('GET a', 'HELLO 3', 'GET b'));
    expect(sent.map((s) => [s.bytes, s.protocol])).toEqual([[mb('GET a'), 2]]);
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    expect(got.replies).toEqual(['$-1\r\n']);
    // HELLO goes as it was read, then what followed it: both on the RESP3 connection.
    expect(sent.slice(1).map((s) => [s.bytes, s.protocol, s.replies])).toEqual([
      [mb('HELLO 3'), 3, 1],
      [mb('GET b'), 3, 1],
    ]);
    expect(got.idle).toBe(0);
    push(lane, mb('GET c'));
    expect(sent[3]).toMatchObject({ bytes: mb('GET c'), protocol: 3 });
    expect([...lane.labels.keys()]).toEqual(['hello']);
    expect(got.pins).toEqual([]);
  });

  it('HELLO with AUTH takes its own connection; HELLO with no version changes nothing', () => {
    const a = harness();
    push(a.lane, mb('HELLO', 'HELLO 3 AUTH u p'));
    expect(a.sent.map((s) => [s.bytes, s.protocol])).toEqual([[mb('HELLO'), 2]]);
    expect(a.got.pins).toEqual(['HELLO needs a connection of its own']);
    expect(a.held()).toBe(mb('HELLO 3 AUTH u p'));
  });

  it("AUTH waits for the replies in flight, is checked, and later requests take that login's shared connection", () => {
    const { lane, sent, got, checks } = harness();
    push(lane, mb('GET a', 'AUTH reader pw', 'SET b 1'));
    expect(sent.map((s) => [s.bytes, s.login])).toEqual([[mb('GET a'), null]]);
    expect(checks).toHaveLength(0);
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    expect(checks.map((c) => [c.user, c.password])).toEqual([['reader', 'pw']]);
    // Requests that come while the node checks wait behind the AUTH.
    push(lane, mb('GET c'));
    expect(sent).toHaveLength(1);
    expect(lane.inflight).toBe(1);
    const login = loginOf({ user: 'reader', password: Buffer.from('pw') });
    checks[0].done(login, Buffer.from('+OK\r\n'));
    expect(got.replies).toEqual(['$-1\r\n', '+OK\r\n']);
    expect(sent.slice(1).map((s) => [s.bytes, s.replies, s.login])).toEqual([
      [mb('SET b 1', 'GET c'), 2, login.key],
    ]);
    expect(lane.login).toBe(login);
    expect(got.pins).toEqual([]);
  });

  it("a refused AUTH leaves the client on its login; the tunnel's own credential keeps the tunnel's", () => {
    const { lane, sent, got, checks } = harness();
    push(lane, mb('AUTH reader wrong', 'GET a'));
    checks[0].done(
      undefined,
      Buffer.from('-WRONGPASS invalid username-password pair or user is disabled.\r\n'),
    );
    expect(got.replies).toEqual(['-WRONGPASS invalid username-password pair or user is disabled.\r\n']);
    expect(sent.map((s) => [s.bytes, s.login])).toEqual([[mb('GET a'), null]]);
    expect(lane.login).toBe(null);
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    push(lane, mb('AUTH tunnel secret', 'GET b'));
    checks[1].done(null, Buffer.from('+OK\r\n'));
    expect(sent.slice(1).map((s) => [s.bytes, s.login])).toEqual([[mb('GET b'), null]]);
    expect(got.idle).toBe(1);
  });

  it("AUTH with the wrong number of arguments goes to the node on the client's own connection", () => {
    const { lane, got, held, checks } = harness();
    push(lane, mb('AUTH a b c'));
    expect(checks).toHaveLength(0);
    expect(got.pins).toEqual(['AUTH needs a connection of its own']);
    expect(held()).toBe(mb('AUTH a b c'));
  });

  it('CLIENT MAINT_NOTIFICATIONS is answered by the tunnel, after the replies before it and before those after', () => {
    const { lane, sent, got } = harness();
    push(lane, mb('PING', 'CLIENT MAINT_NOTIFICATIONS ON', 'ECHO x'));
    expect(sent.map((s) => s.bytes)).toEqual([mb('PING')]);
    sent[0].span(Buffer.from('+PONG\r\n'), 1);
    expect(got.replies[0]).toBe('+PONG\r\n');
    expect(got.replies[1]).toMatch(/^-ERR maintenance notifications are not passed through the tunnel/);
    expect(sent.map((s) => s.bytes)).toEqual([mb('PING'), mb('ECHO x')]);
    expect(got.pins).toEqual([]);
  });

  it('reads an inline line once: a write that waits for reads, HELLO, or the request that pins goes as its multibulk', () => {
    const { lane, sent, requests, held } = harness();
    const reads = countReads(requests);
    push(lane, 'GET a\r\nSET b 1\r\n');
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    expect(reads()).toBe(2);
    expect(sent.map((s) => [s.bytes, s.writes])).toEqual([
      [mb('GET a'), false],
      [mb('SET b 1'), true],
    ]);
    push(lane, 'HELLO 3\r\nGET d\r\n');
    sent[1].span(Buffer.from('+OK\r\n'), 1);
    expect(reads()).toBe(4);
    expect(sent.slice(2).map((s) => [s.bytes, s.protocol])).toEqual([
      [mb('HELLO 3'), 3],
      [mb('GET d'), 3],
    ]);
    expect(lane.labels.get('hello')?.toString()).toBe(mb('HELLO 3'));
    push(lane, 'WATCH q r\r\nPING\r\n');
    expect(reads()).toBe(5);
    expect(held()).toBe(mb('WATCH q r') + 'PING\r\n');
    expect(lane.heldFirst).toEqual({
      request: { argc: 3, name: 'watch', arg1: null, arg2: null },
      length: mb('WATCH q r').length,
    });
  });

  it('an inline line goes as the multibulk the node would read; one it might read otherwise goes on its own', () => {
    const { lane, sent, got } = harness();
    push(lane, 'SET k "a b\\x41"\nGE');
    push(lane, "T 'k'\r\n");
    expect(sent.map((s) => [s.bytes, s.replies])).toEqual([
      ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na bA\r\n', 1],
      [mb('GET k'), 1],
    ]);
    // Unbalanced quotes: the node refuses the line and closes the connection it came on; the
    // tunnel answers it in the same words, once the two replies before it are in, and ends the client.
    push(lane, 'PING "x\r\nPING\r\n');
    expect(got.malformed).toEqual(['ERR_UNBALANCED_QUOTES']);
    sent[0].span(Buffer.from('+OK\r\n'), 1);
    sent[1].span(Buffer.from('$-1\r\n'), 1);
    expect(got.replies.at(-1)).toBe('-ERR Protocol error: unbalanced quotes in request\r\n');
    expect(got.pins).toEqual([]);
    // A NUL ends the line for the node's splitter, not for the tunnel's: also its own.
    const b = harness();
    push(b.lane, 'PING a\u0000b\r\n');
    expect(b.got.pins).toEqual(['an inline command the tunnel cannot read as the node would']);
    expect(b.sent).toEqual([]);
    // Not recorded with the reply tracker: the session records it on the own connection. The
    // unreadable line is recorded as the request the lane's answer replies to.
    expect(b.got.tracked).toEqual([]);
    expect(got.tracked).toEqual(['set', 'get', 'argc 1']);
  });

  it('QUIT is answered +OK once earlier replies are delivered, then the client is closed; nothing after it goes', () => {
    const { lane, sent, got } = harness();
    push(lane, 'GET a\r\nQUIT\r\nGET b\r\n');
    expect(got.closed).toBe(0);
    sent[0].span(Buffer.from('$1\r\nz\r\n'), 1);
    expect(got.replies).toEqual(['$1\r\nz\r\n', '+OK\r\n']);
    expect(got.closed).toBe(1);
    expect(sent).toHaveLength(1);
  });
});

describe('shared lane and the reply tracker', () => {
  it('records each request it sends, has checked or answers, once and in order, and none from a pin on', () => {
    const { lane, sent, got, checks } = harness();
    // Two plain requests and an inline one (sent as the multibulk it means).
    push(lane, mb('GET a', 'PING') + 'ECHO x\r\n');
    expect(got.tracked).toEqual(['get', 'ping', 'echo']);
    for (const s of sent) s.span(Buffer.from('+OK\r\n'.repeat(s.replies)), s.replies);
    // AUTH waits for nothing here and is checked by a node: recorded once, when it is checked.
    push(lane, mb('AUTH u p'));
    expect(checks).toHaveLength(1);
    checks[0].done(null, Buffer.from('+OK\r\n'));
    // A write after answered reads, then a request the tunnel rewrites (MIGRATE): it pins, and
    // neither it nor what follows is recorded here (the session reads them on the own connection).
    push(lane, mb('SET b 1', 'MIGRATE h 1 k 0 5000', 'GET z'));
    expect(got.tracked).toEqual(['get', 'ping', 'echo', 'auth', 'set']);
    expect(got.pins).toEqual(["MIGRATE is rewritten on the client's own connection"]);
    // The rewrite made here goes with it, so the own connection does not make it again.
    expect(lane.heldFirst?.rewritten?.toString()).toBe('rewritten');
    expect(lane.heldFirst?.length).toBe(mb('MIGRATE h 1 k 0 5000').length);
  });

  it('records QUIT when it answers it, and a write that waited for reads when it goes', () => {
    const { lane, sent, got } = harness();
    push(lane, mb('GET a', 'SET b 1'));
    // The write waits for the read in flight: not recorded yet.
    expect(got.tracked).toEqual(['get']);
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    expect(got.tracked).toEqual(['get', 'set']);
    sent[1].span(Buffer.from('+OK\r\n'), 1);
    push(lane, mb('QUIT'));
    expect(got.tracked).toEqual(['get', 'set', 'quit']);
    expect(got.closed).toBe(1);
  });
});

describe('shared lane hot-key sampling', () => {
  it('gives one key in 8 of the shared requests whose key is their first argument, counting from its offset', () => {
    const keys: string[] = [];
    // A fake upstream that answers every request at once, so no window or ordering rule holds any.
    const upstream = {
      unreachable: false,
      sendSpans: (_r: Buffer, replies: number, span: SpanHandler) =>
        span(Buffer.from('+OK\r\n'.repeat(replies)), replies),
    } as unknown as Upstream;
    const owner = {
      upstream: () => upstream,
      checkLogin: () => {},
      track: () => {},
      rewrite: () => null,
      reply: () => {},
      broken: () => {},
      pin: () => {},
      idle: () => {},
      close: () => {},
      malformed: () => {},
    };
    // A fake HotKeys (named so): it only records the keys it is given.
    const hotKeys = { add: (k: Uint8Array) => keys.push(Buffer.from(k).toString()) } as unknown as HotKeys;
    const lane = new SharedLane(owner, laneRequests(), hotKeys, 3);
    // 5 requests bring the count from 3 to 8 (the first sample), then 8 more to 16.
    push(lane, mb('GET a', 'SET b 1', 'PING', 'STRLEN c', 'HGET h1 f'));
    expect(keys).toEqual(['h1']);
    push(lane, mb('GET d', 'INCR e', 'GET f', 'GET g', 'GET h', 'GET i', 'GET j', 'DBSIZE'));
    // The 16th is DBSIZE, which has no key: nothing is sampled then.
    expect(keys).toEqual(['h1']);
    push(lane, mb('GET k', 'GET l', 'GET m', 'GET n', 'GET o', 'GET p', 'GET q', 'MGET r s'));
    // The 24th, MGET, has several keys: only single-key commands are sampled.
    expect(keys).toEqual(['h1']);
    push(lane, mb('GET t', 'GET u', 'GET v', 'GET w', 'GET x', 'GET y', 'GET z', 'SET hot 1'));
    expect(keys).toEqual(['h1', 'hot']);
    expect(lane.held).toBeNull();
  });
});
