/**
 * Protocol-core benchmark: `npm run bench`. Compares, in one run on one machine, the tunnel's
 * per-connection protocol path against a plain Buffer copy of the same bytes, and times topology
 * rewrites of a 1,000-node cluster. Figures are medians of several rounds after a warm-up.
 */
import { RequestReading } from '../src/client/requests.js';
import { Session } from '../src/protocol/session.js';
import type { SessionSink } from '../src/protocol/sink.js';
import { decode } from '../src/resp/decode.js';
import { applyEdits } from '../src/resp/encode.js';
import { rewriteElement } from '../src/rewrite/index.js';
import { newOutcome } from '../src/rewrite/outcome.js';
import { AddressMap } from '../src/topology/address-map.js';
import { localAddress } from '../src/topology/endpoint.js';
import { median } from './measure.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function measure(fn: () => void): number {
  for (let i = 0; i < 2; i++) fn(); // warm-up
  return median(Array.from({ length: ROUNDS }, () => timeMs(fn)));
}

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;
const cmd = (...a: string[]): string => `*${a.length}\r\n${a.map(bulk).join('')}`;

/** Nothing is served: no reply is rewritten, so this measures the pass-through path. */
const NOTHING_SERVED = { lookup: () => undefined, tls: true };

/** Feeds `batches` rounds of (requests, replies) through one Session; replies in `chunkSize` chunks. */
function sessionPass(requests: Buffer, replies: Buffer, batches: number, chunkSize: number): () => void {
  const chunks: Buffer[] = [];
  for (let p = 0; p < replies.length; p += chunkSize) chunks.push(replies.subarray(p, p + chunkSize));
  return () => {
    let bytes = 0;
    const sink: SessionSink = {
      toServer: (b) => (bytes += b.length),
      toClient: (b) => (bytes += b.length),
      ownFromHere: () => {},
      resume: () => {},
      fail: (e) => {
        throw e;
      },
      notice: () => {},
    };
    const session = new Session(sink, {
      addresses: NOTHING_SERVED,
      parserOptions: RequestReading.UNREAD.options,
    });
    for (let i = 0; i < batches; i++) {
      session.fromClient(requests);
      for (const c of chunks) session.fromServer(c);
    }
    if (bytes === 0) throw new Error('nothing forwarded');
  };
}

/** The baseline: copy every chunk once (what any forwarding proxy does at the very least). */
function copyPass(requests: Buffer, replies: Buffer, batches: number, chunkSize: number): () => void {
  const chunks: Buffer[] = [];
  for (let p = 0; p < replies.length; p += chunkSize) chunks.push(replies.subarray(p, p + chunkSize));
  return () => {
    let sink = 0;
    for (let i = 0; i < batches; i++) {
      sink += Buffer.from(requests).length;
      for (const c of chunks) sink += Buffer.from(c).length;
    }
    if (sink === 0) throw new Error('nothing copied');
  };
}

interface Row {
  case: string;
  tunnelMs: number;
  copyMs: number;
  mbPerS: number;
  opsPerS?: number;
}

function passthroughCase(
  name: string,
  requests: string,
  replies: string,
  batches: number,
  chunkSize: number,
  replyCount: number,
): Row {
  const req = Buffer.from(requests, 'latin1');
  const rep = Buffer.from(replies, 'latin1');
  const tunnelMs = measure(sessionPass(req, rep, batches, chunkSize));
  const copyMs = measure(copyPass(req, rep, batches, chunkSize));
  const bytes = (req.length + rep.length) * batches;
  return {
    case: name,
    tunnelMs,
    copyMs,
    mbPerS: bytes / 1e6 / (tunnelMs / 1000),
    opsPerS: (replyCount * batches) / (tunnelMs / 1000),
  };
}

// ---- 1,000-node topology ----------------------------------------------------------------------

function bigTopology(): { nodes: string; slots: string; map: AddressMap } {
  const map = new AddressMap();
  const masters = 500;
  const lines: string[] = [];
  const ranges: string[] = [];
  const per = Math.floor(16384 / masters);
  for (let m = 0; m < masters; m++) {
    const start = m * per;
    const end = m === masters - 1 ? 16383 : start + per - 1;
    const mid = `m${String(m).padStart(39, '0')}`;
    const rid = `r${String(m).padStart(39, '0')}`;
    const mip = `10.${Math.floor(m / 250)}.${m % 250}.1`;
    const rip = `10.${Math.floor(m / 250)}.${m % 250}.2`;
    lines.push(
      `${mid} ${mip}:6379@16379,master-${m}.example.internal master - 0 1795315372808 ${m + 1} connected ${start}-${end}`,
    );
    lines.push(
      `${rid} ${rip}:6379@16379,replica-${m}.example.internal slave ${mid} 0 1795315372000 ${m + 1} connected`,
    );
    const node = (ip: string, id: string, host: string): string =>
      `*4\r\n${bulk(ip)}:6379\r\n${bulk(id)}*2\r\n${bulk('hostname')}${bulk(host)}`;
    ranges.push(
      `*4\r\n:${start}\r\n:${end}\r\n${node(mip, mid, `master-${m}.example.internal`)}${node(rip, rid, `replica-${m}.example.internal`)}`,
    );
    map.set(
      { id: mid, ip: mip, port: 6379, hostname: `master-${m}.example.internal` },
      localAddress('127.0.0.1', 20000 + 2 * m),
    );
    map.set(
      { id: rid, ip: rip, port: 6379, hostname: `replica-${m}.example.internal` },
      localAddress('127.0.0.1', 20001 + 2 * m),
    );
  }
  return { nodes: bulk(lines.join('\n') + '\n'), slots: `*${ranges.length}\r\n${ranges.join('')}`, map };
}

function rewriteCase(kind: 'nodes' | 'slots', frame: Buffer, map: AddressMap): { ms: number; bytes: number } {
  let out = frame;
  const runs = 50;
  const ms =
    measure(() => {
      for (let i = 0; i < runs; i++) {
        const outcome = newOutcome();
        rewriteElement(kind, frame, 0, { lookup: map.lookup, tls: true }, outcome);
        out = applyEdits(frame, outcome.edits);
      }
    }) / runs;
  decode(out); // the result is well-formed
  if (out.equals(frame)) throw new Error(`${kind}: nothing was rewritten`);
  return { ms, bytes: frame.length };
}

function main(): void {
  const small: Row[] = [];
  const N = 1000;
  const gets = cmd('GET', 'key:000001').repeat(N);
  small.push(
    passthroughCase(
      '1,000 x +OK (SET)',
      cmd('SET', 'key:000001', 'value').repeat(N),
      '+OK\r\n'.repeat(N),
      200,
      16384,
      N,
    ),
  );
  small.push(
    passthroughCase('1,000 x 10-byte bulk (GET)', gets, bulk('0123456789').repeat(N), 200, 16384, N),
  );
  small.push(
    passthroughCase(
      '1,000 x :integer (INCR)',
      cmd('INCR', 'c').repeat(N),
      ':12345\r\n'.repeat(N),
      200,
      16384,
      N,
    ),
  );
  const v64 = bulk('x'.repeat(64 * 1024));
  const v1m = bulk('y'.repeat(1024 * 1024));
  small.push(
    passthroughCase('64 KiB bulk replies', cmd('GET', 'big').repeat(16), v64.repeat(16), 100, 16384, 16),
  );
  small.push(
    passthroughCase('1 MiB bulk replies', cmd('GET', 'huge').repeat(4), v1m.repeat(4), 25, 16384, 4),
  );
  small.push(
    passthroughCase(
      '1 MiB bulk replies, 64 KiB chunks',
      cmd('GET', 'huge').repeat(4),
      v1m.repeat(4),
      25,
      65536,
      4,
    ),
  );

  console.log(`protocol benchmark, node ${process.version}, median of ${ROUNDS} rounds\n`);
  console.log(
    'passthrough (client requests + server replies through one Session) vs a Buffer copy of the same bytes',
  );
  console.log('case                                  tunnel ms   copy ms   tunnel/copy    MB/s   replies/s');
  for (const r of small) {
    console.log(
      `${r.case.padEnd(36)} ${r.tunnelMs.toFixed(2).padStart(10)} ${r.copyMs.toFixed(2).padStart(9)} ${(r.tunnelMs / r.copyMs).toFixed(2).padStart(13)} ${r.mbPerS.toFixed(0).padStart(7)} ${Math.round(
        r.opsPerS ?? 0,
      )
        .toLocaleString('en-US')
        .padStart(11)}`,
    );
  }
  const topo = bigTopology();
  const nodes = rewriteCase('nodes', Buffer.from(topo.nodes, 'latin1'), topo.map);
  const slots = rewriteCase('slots', Buffer.from(topo.slots, 'latin1'), topo.map);
  console.log('\n1,000-node topology rewrite (500 masters + 500 replicas, hostnames announced)');
  console.log(
    `CLUSTER NODES  ${String(nodes.bytes).padStart(7)} bytes  ${nodes.ms.toFixed(3)} ms per rewrite`,
  );
  console.log(
    `CLUSTER SLOTS  ${String(slots.bytes).padStart(7)} bytes  ${slots.ms.toFixed(3)} ms per rewrite`,
  );
  const large = small.filter((r) => r.case.includes('KiB') || r.case.includes('MiB'));
  const worstLarge = Math.max(...large.map((r) => r.tunnelMs / r.copyMs));
  console.log(
    `\ntargets: large-value passthrough within 2x of a copy: worst ${worstLarge.toFixed(2)}x ${worstLarge <= 2 ? 'MET' : 'MISSED'}`,
  );
  const worstTopo = Math.max(nodes.ms, slots.ms);
  console.log(
    `         1,000-node rewrite under 5 ms: worst ${worstTopo.toFixed(3)} ms ${worstTopo < 5 ? 'MET' : 'MISSED'}`,
  );
}

main();
