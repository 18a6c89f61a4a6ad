import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../src/resp/encode.js';
import { type TopologyReply, rewriteElement } from '../../src/rewrite/index.js';
import { newOutcome } from '../../src/rewrite/outcome.js';
import { splitHostPort } from '../../src/topology/endpoint.js';
import type { NodeRef } from '../../src/topology/types.js';
import { parseRedirect, rewriteRedirect } from '../../src/rewrite/redirect.js';
import { ID1, ID2, ID3, ID_UNKNOWN, fakeLookup } from '../helpers/fake-map.js';
import { arr, b, bulk, int, map2, map3, null3, nullBulk, verbatim } from '../helpers/resp.js';

function rewrite(kind: TopologyReply, input: string): { out: string; missing: NodeRef[] } {
  const frame = b(input);
  const outcome = newOutcome();
  rewriteElement(kind, frame, 0, { lookup: fakeLookup, tls: true }, outcome);
  return { out: applyEdits(frame, outcome.edits).toString('latin1'), missing: outcome.missing };
}

const L1 = [bulk('127.0.0.1'), int(7001)];
const L2 = [bulk('127.0.0.1'), int(7002)];
const L3 = [bulk('127.0.0.1'), int(7003)];

describe('CLUSTER SLOTS', () => {
  const cases: Array<[string, string, string]> = [
    [
      '7.x RESP2, ip endpoints, empty metadata',
      arr(
        arr(
          int(0),
          int(5460),
          arr(bulk('10.0.0.1'), int(6379), bulk(ID1), '*0\r\n'),
          arr(bulk('10.0.0.2'), int(6379), bulk(ID2), '*0\r\n'),
        ),
      ),
      arr(arr(int(0), int(5460), arr(...L1, bulk(ID1), '*0\r\n'), arr(...L2, bulk(ID2), '*0\r\n'))),
    ],
    [
      '7.x RESP3, empty metadata map',
      arr(arr(int(0), int(5460), arr(bulk('10.0.0.1'), int(6379), bulk(ID1), '%0\r\n'))),
      arr(arr(int(0), int(5460), arr(...L1, bulk(ID1), '%0\r\n'))),
    ],
    [
      '6.2 three-element node entries',
      arr(
        arr(
          int(0),
          int(16383),
          arr(bulk('10.0.0.1'), int(6379), bulk(ID1)),
          arr(bulk('10.0.0.2'), int(6379), bulk(ID2)),
        ),
      ),
      arr(arr(int(0), int(16383), arr(...L1, bulk(ID1)), arr(...L2, bulk(ID2)))),
    ],
    [
      'pre-4.0 two-element entries, matched by address',
      arr(arr(int(0), int(16383), arr(bulk('10.0.0.2'), int(6379)))),
      arr(arr(int(0), int(16383), arr(...L2))),
    ],
    [
      'ip endpoint with hostname metadata (RESP2): hostname dropped',
      arr(
        arr(
          int(0),
          int(1),
          arr(bulk('10.0.0.1'), int(6379), bulk(ID1), map2(bulk('hostname'), bulk('node1.example'))),
        ),
      ),
      arr(arr(int(0), int(1), arr(...L1, bulk(ID1), '*0\r\n'))),
    ],
    [
      'hostname endpoint with ip metadata (RESP3)',
      arr(
        arr(
          int(0),
          int(1),
          arr(bulk('node1.example'), int(6379), bulk(ID1), map3(bulk('ip'), bulk('10.0.0.1'))),
        ),
      ),
      arr(arr(int(0), int(1), arr(...L1, bulk(ID1), map3(bulk('ip'), bulk('127.0.0.1'))))),
    ],
    [
      'unknown-endpoint RESP2: null host, ip and hostname metadata',
      arr(
        arr(
          int(0),
          int(1),
          arr(
            nullBulk,
            int(6379),
            bulk(ID1),
            map2(bulk('ip'), bulk('10.0.0.1'), bulk('hostname'), bulk('node1.example')),
          ),
        ),
      ),
      arr(arr(int(0), int(1), arr(...L1, bulk(ID1), map2(bulk('ip'), bulk('127.0.0.1'))))),
    ],
    [
      'unknown-endpoint RESP3: null host',
      arr(
        arr(
          int(0),
          int(1),
          arr(
            null3,
            int(6379),
            bulk(ID1),
            map3(bulk('ip'), bulk('10.0.0.1'), bulk('hostname'), bulk('node1.example')),
          ),
        ),
      ),
      arr(arr(int(0), int(1), arr(...L1, bulk(ID1), map3(bulk('ip'), bulk('127.0.0.1'))))),
    ],
    [
      '`?` host (hostname type, no hostname set)',
      arr(arr(int(0), int(1), arr(bulk('?'), int(6380), bulk(ID3), map2(bulk('ip'), bulk('fd00::3'))))),
      arr(arr(int(0), int(1), arr(...L3, bulk(ID3), map2(bulk('ip'), bulk('127.0.0.1'))))),
    ],
    [
      'empty own ip on an isolated node',
      arr(arr(int(0), int(2), arr(bulk(''), int(6380), bulk(ID3), '*0\r\n'))),
      arr(arr(int(0), int(2), arr(...L3, bulk(ID3), '*0\r\n'))),
    ],
    [
      'IPv6 host',
      arr(arr(int(0), int(2), arr(bulk('fd00::3'), int(6380), bulk(ID3), '*0\r\n'))),
      arr(arr(int(0), int(2), arr(...L3, bulk(ID3), '*0\r\n'))),
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(`rewrites ${name}`, () => {
      const r = rewrite('slots', input);
      expect(r.out).toBe(expected);
      expect(r.missing).toEqual([]);
    });
  }

  it('leaves an unknown node as it was and reports it', () => {
    const input = arr(
      arr(
        int(0),
        int(1),
        arr(bulk('10.9.9.9'), int(6379), bulk(ID_UNKNOWN), '*0\r\n'),
        arr(bulk('10.0.0.1'), int(6379), bulk(ID1), '*0\r\n'),
      ),
    );
    const r = rewrite('slots', input);
    expect(r.out).toBe(
      arr(
        arr(
          int(0),
          int(1),
          arr(bulk('10.9.9.9'), int(6379), bulk(ID_UNKNOWN), '*0\r\n'),
          arr(...L1, bulk(ID1), '*0\r\n'),
        ),
      ),
    );
    expect(r.missing).toEqual([{ host: '10.9.9.9', port: 6379, id: ID_UNKNOWN }]);
  });

  it('passes an error reply and an empty topology unchanged', () => {
    expect(rewrite('slots', '-ERR This instance has cluster support disabled\r\n').out).toBe(
      '-ERR This instance has cluster support disabled\r\n',
    );
    expect(rewrite('slots', '*0\r\n').out).toBe('*0\r\n');
  });
});

describe('CLUSTER NODES and REPLICAS', () => {
  const line = (id: string, addr: string, rest: string): string => `${id} ${addr} ${rest}`;
  it('rewrites every address, drops ,hostname, keeps flags, slots and migration annotations', () => {
    const body =
      [
        line(
          ID1,
          '10.0.0.1:6379@16379,node1.example',
          `myself,master - 0 0 1 connected 0-5460 [93->-${ID2}]`,
        ),
        line(ID2, '10.0.0.2:6379@16379', `master - 0 1795315372808 2 connected 5461-16383 [93-<-${ID1}]`),
        line(ID3, 'fd00::3:6380@16380', `slave ${ID1} 0 1795315372000 1 connected`),
      ].join('\n') + '\n';
    const want =
      [
        line(ID1, '127.0.0.1:7001@16379', `myself,master - 0 0 1 connected 0-5460 [93->-${ID2}]`),
        line(ID2, '127.0.0.1:7002@16379', `master - 0 1795315372808 2 connected 5461-16383 [93-<-${ID1}]`),
        line(ID3, '127.0.0.1:7003@16380', `slave ${ID1} 0 1795315372000 1 connected`),
      ].join('\n') + '\n';
    expect(rewrite('nodes', bulk(body)).out).toBe(bulk(want));
    expect(rewrite('nodes', verbatim(body)).out).toBe(verbatim(want));
  });

  it('leaves noaddr lines alone and maps an empty own ip by id', () => {
    const body =
      line(ID_UNKNOWN, ':0@0', `slave,noaddr ${ID1} 1795315716308 1795315714197 1 disconnected`) +
      '\n' +
      line(ID3, ':6380@16380', 'myself,master - 0 0 0 connected 0-2') +
      '\n';
    const want =
      line(ID_UNKNOWN, ':0@0', `slave,noaddr ${ID1} 1795315716308 1795315714197 1 disconnected`) +
      '\n' +
      line(ID3, '127.0.0.1:7003@16380', 'myself,master - 0 0 0 connected 0-2') +
      '\n';
    const r = rewrite('nodes', bulk(body));
    expect(r.out).toBe(bulk(want));
    expect(r.missing).toEqual([]);
  });

  it('reports a line for a node it does not know', () => {
    const body = line(ID_UNKNOWN, '10.9.9.9:6379@16379', 'master - 0 0 9 connected') + '\n';
    const r = rewrite('nodes', bulk(body));
    expect(r.out).toBe(bulk(body));
    expect(r.missing.map((m) => m.id)).toEqual([ID_UNKNOWN]);
  });

  it('rewrites CLUSTER REPLICAS lines (no trailing newline)', () => {
    const input = arr(
      bulk(line(ID2, '10.0.0.2:6379@16379,node2.example', `slave ${ID1} 0 1795315891031 1 connected`)),
    );
    const want = arr(bulk(line(ID2, '127.0.0.1:7002@16379', `slave ${ID1} 0 1795315891031 1 connected`)));
    expect(rewrite('replicas', input).out).toBe(want);
  });
});

describe('CLUSTER SHARDS', () => {
  const slots = [bulk('slots'), arr(int(0), int(5460))];
  it('RESP2 (7.0 TLS): plain port and tls-port become one local port; ip and endpoint local', () => {
    const node = map2(
      bulk('id'),
      bulk(ID1),
      bulk('port'),
      int(6000),
      bulk('tls-port'),
      int(6379),
      bulk('ip'),
      bulk('10.0.0.1'),
      bulk('endpoint'),
      bulk('10.0.0.1'),
      bulk('role'),
      bulk('master'),
      bulk('replication-offset'),
      int(5),
      bulk('health'),
      bulk('online'),
    );
    const want = map2(
      bulk('id'),
      bulk(ID1),
      bulk('port'),
      int(7001),
      bulk('ip'),
      bulk('127.0.0.1'),
      bulk('endpoint'),
      bulk('127.0.0.1'),
      bulk('role'),
      bulk('master'),
      bulk('replication-offset'),
      int(5),
      bulk('health'),
      bulk('online'),
    );
    expect(rewrite('shards', arr(map2(...slots, bulk('nodes'), arr(node)))).out).toBe(
      arr(map2(...slots, bulk('nodes'), arr(want))),
    );
  });

  it('RESP3, TLS-only node with hostname: tls-port renamed to port, hostname dropped', () => {
    const node = map3(
      bulk('id'),
      bulk(ID2),
      bulk('tls-port'),
      int(6379),
      bulk('ip'),
      bulk('10.0.0.2'),
      bulk('endpoint'),
      bulk('node2.example'),
      bulk('hostname'),
      bulk('node2.example'),
      bulk('role'),
      bulk('replica'),
    );
    const want = map3(
      bulk('id'),
      bulk(ID2),
      bulk('port'),
      int(7002),
      bulk('ip'),
      bulk('127.0.0.1'),
      bulk('endpoint'),
      bulk('127.0.0.1'),
      bulk('role'),
      bulk('replica'),
    );
    expect(rewrite('shards', arr(map3(...slots, bulk('nodes'), arr(node)))).out).toBe(
      arr(map3(...slots, bulk('nodes'), arr(want))),
    );
  });

  it('unknown-endpoint: empty endpoint string becomes the local host', () => {
    const node = map2(
      bulk('id'),
      bulk(ID3),
      bulk('port'),
      int(6380),
      bulk('ip'),
      bulk('fd00::3'),
      bulk('endpoint'),
      bulk(''),
      bulk('role'),
      bulk('master'),
    );
    const want = map2(
      bulk('id'),
      bulk(ID3),
      bulk('port'),
      int(7003),
      bulk('ip'),
      bulk('127.0.0.1'),
      bulk('endpoint'),
      bulk('127.0.0.1'),
      bulk('role'),
      bulk('master'),
    );
    expect(rewrite('shards', arr(map2(...slots, bulk('nodes'), arr(node)))).out).toBe(
      arr(map2(...slots, bulk('nodes'), arr(want))),
    );
  });
});

describe('MOVED and ASK', () => {
  const cases: Array<[string, string, string | null]> = [
    ['IPv4', '-MOVED 3999 10.0.0.2:6379\r\n', '-MOVED 3999 127.0.0.1:7002\r\n'],
    ['ASK', '-ASK 12182 10.0.0.1:6379\r\n', '-ASK 12182 127.0.0.1:7001\r\n'],
    ['unbracketed IPv6 (last colon)', '-MOVED 15495 fd00::3:6380\r\n', '-MOVED 15495 127.0.0.1:7003\r\n'],
    ['hostname', '-MOVED 1 node2.example:6379\r\n', '-MOVED 1 127.0.0.1:7002\r\n'],
    ['? endpoint with a unique port', '-MOVED 1 ?:6380\r\n', '-MOVED 1 127.0.0.1:7003\r\n'],
    ['empty endpoint with a unique port', '-MOVED 3999 :6380\r\n', '-MOVED 3999 127.0.0.1:7003\r\n'],
    ['not a redirect', '-ERR MOVED is not a command\r\n', null],
    ['MOVED with a slot out of range', '-MOVED 16384 10.0.0.2:6379\r\n', null],
    ['MOVED without a port', '-MOVED 1 10.0.0.2\r\n', null],
    ['MOVED with extra words', '-MOVED 1 10.0.0.2:6379 x\r\n', null],
    ['lower-case moved', '-moved 1 10.0.0.2:6379\r\n', null],
  ];
  for (const [name, input, expected] of cases) {
    it(`handles ${name}`, () => {
      const out = rewriteRedirect(b(input), fakeLookup);
      expect(out === null ? null : out.toString('latin1')).toBe(expected);
    });
  }

  it('reports an unknown target and leaves it unchanged', () => {
    const missing: NodeRef[] = [];
    expect(rewriteRedirect(b('-MOVED 7 10.9.9.9:6379\r\n'), fakeLookup, missing)).toBeNull();
    expect(missing).toEqual([{ host: '10.9.9.9', port: 6379, slot: 7 }]);
  });

  it('parses endpoints at the last colon', () => {
    expect(parseRedirect('ASK 5 ::1:6380')).toEqual({ kind: 'ASK', slot: 5, host: '::1', port: 6380 });
    expect(splitHostPort('[::1]:6380')).toEqual({ host: '::1', port: 6380 });
    expect(splitHostPort('host:99999')).toBeNull();
  });
});

describe('AddressMap', () => {
  it('resolves `?` and empty hosts by port when unique, else a MOVED by its slot owner', async () => {
    const { AddressMap } = await import('../../src/topology/address-map.js');
    const map = new AddressMap();
    map.set({ id: 'a'.repeat(40), ip: '10.0.0.1', port: 6379 }, { host: '127.0.0.1', port: 6379 });
    map.set({ id: 'b'.repeat(40), ip: '10.0.0.2', port: 6379 }, { host: '127.0.0.1', port: 6380 });
    map.set({ id: 'c'.repeat(40), ip: '10.0.0.3', port: 7000 }, { host: '127.0.0.1', port: 7000 });
    map.setSlots('a'.repeat(40), [[0, 99]]);
    map.setSlots('b'.repeat(40), [[100, 16383]]);
    expect(map.lookup({ host: '?', port: 7000 })).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(map.lookup({ host: '?', port: 6379 })).toBeUndefined(); // ASK: no slot owner to go by
    expect(map.lookup({ host: '?', port: 6379, slot: 150 })).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(map.lookup({ host: '', port: 6379, slot: 5 })).toEqual({ host: '127.0.0.1', port: 6379 });
    expect(map.lookup({ host: '10.0.0.2', port: 6379 })).toEqual({ host: '127.0.0.1', port: 6380 });
    map.delete('b'.repeat(40));
    expect(map.lookup({ host: '10.0.0.2', port: 6379 })).toBeUndefined();
  });
});
