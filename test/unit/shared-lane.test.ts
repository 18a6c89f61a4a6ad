/**
 * The shared lane's rules, with a fake upstream (named so): it records what each send carried and
 * lets the test answer or fail it, so request splitting, pinning and ordering can be checked byte by
 * byte without a node. The lane on the real cluster is in test/e2e/shared-lane.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SharedLane } from '../../src/net/shared-lane.js';
import type { SpanHandler, Upstream } from '../../src/net/upstream.js';

interface Sent {
  bytes: string;
  replies: number;
  span: SpanHandler;
  /** Which of the node's shared connections it went on. */
  protocol: 2 | 3;
}

/** A lane on fake upstreams (one per protocol), and what reached its owner. */
function harness() {
  const sent: Sent[] = [];
  const fake = (protocol: 2 | 3): Upstream =>
    ({
      unreachable: false,
      sendSpans: (request: Buffer, replies: number, span: SpanHandler) =>
        sent.push({ bytes: request.toString('latin1'), replies, span, protocol }),
    }) as unknown as Upstream;
  const fakes = { 2: fake(2), 3: fake(3) };
  const got = { replies: [] as string[], pins: [] as string[], broken: [] as string[], idle: 0, closed: 0 };
  const lane = new SharedLane({
    upstream: (protocol) => fakes[protocol],
    reply: (span) => got.replies.push(span.toString('latin1')),
    broken: (_u, reason) => got.broken.push(reason),
    pin: (why) => got.pins.push(why),
    idle: () => got.idle++,
    close: () => got.closed++,
  });
  const held = (): string => (lane.held ?? []).map((b) => b.toString('latin1')).join('');
  return { lane, sent, got, held };
}

const push = (lane: SharedLane, s: string): void => lane.push(Buffer.from(s, 'latin1'));

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
    push(lane, '\r\nk\r\nPING\r\n');
    expect(sent.map((s) => [s.bytes, s.replies])).toEqual([
      ['*1\r\n$4\r\nPING\r\n', 1],
      ['*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', 1],
      ['PING\r\n', 1],
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
    push(lane, 'GET a\r\nclient getname\r\nGET b\r\n');
    push(lane, 'GET c\r\n');
    expect(sent.map((s) => s.bytes)).toEqual(['GET a\r\n']);
    expect(got.pins).toEqual(['CLIENT needs a connection of its own']);
    expect(held()).toBe('client getname\r\nGET b\r\nGET c\r\n');
  });

  it('CLIENT SETNAME and SETINFO go as plain requests, the last of each kept as a label in the order last set, even split over pushes', () => {
    const { lane, sent, got } = harness();
    const setinfo = (attr: string, v: string): string =>
      `*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$${attr.length}\r\n${attr}\r\n$${v.length}\r\n${v}\r\n`;
    push(lane, 'client setname first\r\n' + setinfo('LIB-NAME', 'lib') + 'CLIENT SETNAME second\r\n');
    const ver = setinfo('lib-ver', '1.2');
    push(lane, ver.slice(0, 20));
    push(lane, ver.slice(20) + 'PING\r\n');
    expect(got.pins).toEqual([]);
    expect(sent.map((s) => s.bytes).join('')).toBe(
      'client setname first\r\n' +
        setinfo('LIB-NAME', 'lib') +
        'CLIENT SETNAME second\r\n' +
        ver +
        'PING\r\n',
    );
    // In the order each was last set: replayed so, the last word on the name is the last one sent.
    expect([...lane.labels.values()].map((b) => b.toString())).toEqual([
      setinfo('LIB-NAME', 'lib'),
      'CLIENT SETNAME second\r\n',
      ver,
    ]);
  });

  it('past 8 distinct labels, the next one takes its own connection', () => {
    const { lane, got, held } = harness();
    for (let i = 0; i < 7; i++) push(lane, `CLIENT SETINFO attr${i} v\r\n`);
    push(lane, 'CLIENT SETNAME n\r\nCLIENT SETNAME m\r\n');
    expect(lane.labels.size).toBe(8);
    expect(got.pins).toEqual([]);
    push(lane, 'CLIENT SETINFO attr7 v\r\n');
    expect(got.pins).toEqual(['CLIENT needs a connection of its own']);
    expect(held()).toBe('CLIENT SETINFO attr7 v\r\n');
  });

  it('a pinning request begun in an earlier push is held whole', () => {
    const { lane, sent, held } = harness();
    push(lane, 'PING\r\n*2\r\n$5\r\nBLPOP');
    push(lane, '\r\n$1\r\nq\r\n');
    expect(sent.map((s) => s.bytes)).toEqual(['PING\r\n']);
    expect(held()).toBe('*2\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n');
  });

  it("a malformed request goes, with what follows, to the client's own connection", () => {
    const { lane, sent, got, held } = harness();
    push(lane, 'PING\r\n*1\r\n!oops\r\n');
    expect(sent.map((s) => s.bytes)).toEqual(['PING\r\n']);
    expect(got.pins[0]).toMatch(/malformed request/);
    expect(held()).toBe('*1\r\n!oops\r\n');
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
    push(lane, 'PING\r\n'.repeat(10));
    push(lane, 'PING\r\n'.repeat(6) + 'ECHO a\r\nECHO b\r\n');
    expect(sent.map((s) => s.replies)).toEqual([10, 6]);
    expect(got.pins).toEqual(['more than 16 requests in flight']);
    expect(held()).toBe('ECHO a\r\nECHO b\r\n');
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
    push(lane, 'GET a\r\nHELLO 3\r\nGET b\r\n');
    expect(sent.map((s) => [s.bytes, s.protocol])).toEqual([['GET a\r\n', 2]]);
    sent[0].span(Buffer.from('$-1\r\n'), 1);
    expect(got.replies).toEqual(['$-1\r\n']);
    expect(sent.slice(1).map((s) => [s.bytes, s.protocol, s.replies])).toEqual([
      ['HELLO 3\r\nGET b\r\n', 3, 2],
    ]);
    expect(got.idle).toBe(0);
    push(lane, 'SET c 1\r\n');
    expect(sent[2]).toMatchObject({ bytes: 'SET c 1\r\n', protocol: 3 });
    expect([...lane.labels.keys()]).toEqual(['hello']);
    expect(got.pins).toEqual([]);
  });

  it('HELLO with AUTH takes its own connection; HELLO with no version changes nothing', () => {
    const a = harness();
    push(a.lane, 'HELLO\r\nHELLO 3 AUTH u p\r\n');
    expect(a.sent.map((s) => [s.bytes, s.protocol])).toEqual([['HELLO\r\n', 2]]);
    expect(a.got.pins).toEqual(['HELLO needs a connection of its own']);
    expect(a.held()).toBe('HELLO 3 AUTH u p\r\n');
  });

  it('CLIENT MAINT_NOTIFICATIONS is answered by the tunnel, after the replies before it and before those after', () => {
    const { lane, sent, got } = harness();
    push(lane, 'PING\r\nCLIENT MAINT_NOTIFICATIONS ON\r\nECHO x\r\n');
    expect(sent.map((s) => s.bytes)).toEqual(['PING\r\n']);
    sent[0].span(Buffer.from('+PONG\r\n'), 1);
    expect(got.replies[0]).toBe('+PONG\r\n');
    expect(got.replies[1]).toMatch(/^-ERR maintenance notifications are not passed through the tunnel/);
    expect(sent.map((s) => s.bytes)).toEqual(['PING\r\n', 'ECHO x\r\n']);
    expect(got.pins).toEqual([]);
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
