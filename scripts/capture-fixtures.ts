/**
 * Captures reply bytes from a real TLS Redis Cluster into test/fixtures/, for the protocol tests.
 *   npm run build && node dist/scripts/capture-fixtures.js
 * It starts its own cluster (127.0.0.41-46:7401-7406), and for each endpoint style (ip, ip with
 * hostnames, hostname, unknown-endpoint) and protocol (RESP2, RESP3) records scripted
 * conversations with one node. Every reply frame is labelled by hand (in the scripts below) with
 * what it is: a topology reply of some kind, a redirect, or a reply that must pass unchanged. The
 * labels, not the code under test, decide what the tests expect.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSlot } from '../src/topology/hash-slot.js';
import {
  type ClusterSpec,
  LAYOUTS,
  type RunningCluster,
  redisServerVersion,
  settle,
  startCluster,
} from './lib/cluster.js';
import { splitAggregate, splitFrames } from './lib/frames.js';
import { RawConn } from './lib/raw-conn.js';

export type Kind = 'slots' | 'nodes' | 'shards' | 'replicas' | 'redirect' | 'none';

interface StepSpec {
  /** Request: argument list (sent as multibulk) or raw bytes. */
  req?: string[] | string;
  /** Sent on a second connection first; its reply is discarded. */
  other?: string[];
  /** One label per top-level reply frame; `exec` labels EXEC's elements. */
  kinds: Kind[] | { exec: Kind[] };
  waitMs?: number;
}

interface TranscriptSpec {
  name: string;
  /** Cluster commands run before and after the conversation (e.g. a slot migration). */
  setup?: Array<{ node: FixtureNode; args: string[] }>;
  teardown?: Array<{ node: FixtureNode; args: string[] }>;
  /** True when all requests may be sent at once (no step depends on timing or another connection). */
  pipelinable: boolean;
  /** How many times the tunnel should report it stopped pairing. */
  uncertain: number;
  steps: StepSpec[];
}

export interface Segment {
  kind: Kind;
  bytes: string;
}
export interface Step {
  client: string;
  server: Segment[];
}
export interface Transcript {
  name: string;
  pipelinable: boolean;
  uncertain: number;
  steps: Step[];
}
export interface FixtureNode {
  id: string;
  ip: string;
  port: number;
  cport: number;
  hostname: string | null;
}
export interface FixtureFile {
  server: string;
  style: string;
  protocol: 2 | 3;
  connectedTo: { ip: string; port: number; id: string };
  nodes: FixtureNode[];
  transcripts: Transcript[];
}

const mb = (args: string[]): string =>
  `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');

const SPEC: ClusterSpec = {
  ...LAYOUTS.default,
  name: 'fixtures',
  nodes: Array.from({ length: 6 }, (_, i) => ({ ip: `127.0.0.${41 + i}`, port: 7401 + i })),
};

function tagFor(start: number, end: number): string {
  for (let i = 0; ; i++) {
    const s = hashSlot(`t${i}`);
    if (s >= start && s <= end) return `t${i}`;
  }
}

function parseNodes(text: string): Array<FixtureNode & { flags: string[]; slots: string[] }> {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, , , , , , ...slots] = line.split(' ');
      const [hostPort, rest] = addr.split('@');
      const [cport, hostname] = rest.split(',');
      const colon = hostPort.lastIndexOf(':');
      return {
        id,
        ip: hostPort.slice(0, colon),
        port: Number(hostPort.slice(colon + 1)),
        cport: Number(cport),
        hostname: hostname ?? null,
        flags: flags.split(','),
        slots,
      };
    });
}

function transcripts(ctx: {
  self: FixtureNode;
  other: FixtureNode;
  tag: string;
  otherKey: string;
  slotsLookalike: string;
  migrating: { slot: number; key: string };
}): TranscriptSpec[] {
  const { tag, otherKey, self, other, migrating } = ctx;
  const k = (s: string): string => `{${tag}}${s}`;
  const slot = String(migrating.slot);
  return [
    {
      name: 'slot-migration-ask',
      pipelinable: true,
      uncertain: 0,
      setup: [
        { node: other, args: ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', self.id] },
        { node: self, args: ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', other.id] },
      ],
      teardown: [
        { node: self, args: ['CLUSTER', 'SETSLOT', slot, 'STABLE'] },
        { node: other, args: ['CLUSTER', 'SETSLOT', slot, 'STABLE'] },
      ],
      steps: [
        { req: ['GET', migrating.key], kinds: ['redirect'] },
        { req: ['CLUSTER', 'NODES'], kinds: ['nodes'] },
        { req: ['MULTI'], kinds: ['none'] },
        // The redirect is checked when the command is queued; EXEC then aborts.
        { req: ['GET', migrating.key], kinds: ['redirect'] },
        { req: ['EXEC'], kinds: ['none'] },
        { req: ['GET', otherKey], kinds: ['redirect'] },
      ],
    },
    {
      name: 'topology',
      pipelinable: true,
      uncertain: 0,
      steps: [
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
        { req: ['CLUSTER', 'NODES'], kinds: ['nodes'] },
        { req: ['CLUSTER', 'SHARDS'], kinds: ['shards'] },
        { req: ['CLUSTER', 'REPLICAS', ctx.self.id], kinds: ['replicas'] },
        { req: ['CLUSTER', 'SLAVES', ctx.self.id], kinds: ['replicas'] },
        { req: ['GET', otherKey], kinds: ['redirect'] },
      ],
    },
    {
      name: 'lookalikes-pipeline',
      pipelinable: true,
      uncertain: 0,
      steps: [
        { req: ['SET', k('addr'), `${ctx.other.ip}:${ctx.other.port}`], kinds: ['none'] },
        { req: ['SET', k('moved'), `MOVED 1234 ${ctx.other.ip}:${ctx.other.port}`], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
        { req: ['GET', k('nodes')], kinds: ['none'] },
        { req: ['GET', k('addr')], kinds: ['none'] },
        { req: ['CLUSTER', 'NODES'], kinds: ['nodes'] },
        { req: ['EVAL', ctx.slotsLookalike, '0'], kinds: ['none'] },
        { req: ['GET', k('moved')], kinds: ['none'] },
        { req: ['CLUSTER', 'SHARDS'], kinds: ['shards'] },
        { req: '\r\n', kinds: [] },
        { req: '*0\r\n', kinds: [] },
        { req: ['GET', otherKey], kinds: ['redirect'] },
        { req: 'PING\r\n', kinds: ['none'] },
        { req: 'CLUSTER SLOTS\r\n', kinds: ['slots'] },
        { req: ['LRANGE', k('nolist'), '0', '-1'], kinds: ['none'] },
      ],
    },
    {
      name: 'transaction',
      pipelinable: true,
      uncertain: 0,
      steps: [
        { req: ['MULTI'], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['none'] },
        { req: ['GET', k('nodes')], kinds: ['none'] },
        { req: ['WATCH', k('w')], kinds: ['none'] },
        { req: ['CLUSTER', 'NODES'], kinds: ['none'] },
        { req: ['EVAL', ctx.slotsLookalike, '0'], kinds: ['none'] },
        { req: ['INCR', k('nodes')], kinds: ['none'] },
        { req: ['EXEC'], kinds: { exec: ['slots', 'none', 'nodes', 'none', 'none'] } },
        { req: ['MULTI'], kinds: ['none'] },
        { req: ['CLUSTER', 'SHARDS'], kinds: ['none'] },
        { req: ['GET', otherKey], kinds: ['redirect'] },
        { req: ['EXEC'], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
      ],
    },
    {
      name: 'watch-failure',
      pipelinable: false,
      uncertain: 0,
      steps: [
        { req: ['WATCH', k('w')], kinds: ['none'] },
        { other: ['SET', k('w'), '1'], kinds: [] },
        { req: ['MULTI'], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['none'] },
        { req: ['EXEC'], kinds: ['none'] },
        { req: ['GET', k('nodes')], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
      ],
    },
    {
      name: 'pubsub',
      pipelinable: false,
      uncertain: 0,
      steps: [
        { req: ['SUBSCRIBE', 'a', 'b'], kinds: ['none', 'none'] },
        { other: ['PUBLISH', 'a', 'carrying a lookalike'], kinds: ['none'] },
        { req: ['PSUBSCRIBE', 'p*'], kinds: ['none'] },
        { other: ['PUBLISH', 'pq', `${ctx.other.ip}:${ctx.other.port}`], kinds: ['none'] },
        { req: ['PING'], kinds: ['none'] },
        { req: ['UNSUBSCRIBE'], kinds: ['none', 'none'] },
        { req: ['PUNSUBSCRIBE'], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
        { req: ['EVAL', ctx.slotsLookalike, '0'], kinds: ['none'] },
      ],
    },
    {
      name: 'sharded-pubsub',
      pipelinable: false,
      uncertain: 0,
      steps: [
        { req: ['SSUBSCRIBE', k('ch')], kinds: ['none'] },
        { other: ['SPUBLISH', k('ch'), 'hello'], kinds: ['none'] },
        { req: ['SSUBSCRIBE', `{${otherKey}}x`], kinds: ['redirect'] },
        { req: ['SUNSUBSCRIBE'], kinds: ['none'] },
        { req: ['CLUSTER', 'SHARDS'], kinds: ['shards'] },
      ],
    },
    {
      name: 'client-reply',
      pipelinable: true,
      uncertain: 0,
      steps: [
        { req: ['CLIENT', 'REPLY', 'SKIP'], kinds: [] },
        { req: ['CLUSTER', 'SLOTS'], kinds: [] },
        { req: ['EVAL', ctx.slotsLookalike, '0'], kinds: ['none'] },
        { req: ['CLIENT', 'REPLY', 'OFF'], kinds: [] },
        { req: ['CLUSTER', 'NODES'], kinds: [] },
        { req: ['GET', otherKey], kinds: [] },
        { req: ['CLIENT', 'REPLY', 'ON'], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
      ],
    },
    {
      name: 'hello-reset',
      pipelinable: true,
      uncertain: 0,
      steps: [
        { req: ['HELLO', '4'], kinds: ['none'] },
        { req: ['HELLO', '3'], kinds: ['none'] },
        { req: ['CLUSTER', 'NODES'], kinds: ['nodes'] },
        { req: ['HELLO', '2'], kinds: ['none'] },
        { req: ['CLUSTER', 'NODES'], kinds: ['nodes'] },
        { req: ['SUBSCRIBE', 'x'], kinds: ['none'] },
        { req: ['RESET'], kinds: ['none'] },
        { req: ['EVAL', ctx.slotsLookalike, '0'], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
      ],
    },
    {
      name: 'blocking',
      pipelinable: true,
      uncertain: 0,
      steps: [
        { req: ['BLPOP', k('empty'), '0.2'], kinds: ['none'], waitMs: 400 },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['slots'] },
      ],
    },
    {
      name: 'monitor',
      pipelinable: false,
      uncertain: 0,
      steps: [
        { req: ['MONITOR'], kinds: ['none'] },
        { other: ['SET', k('m'), '1'], kinds: ['none'] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['none', 'none'] },
        // A command refused with MOVED never runs, so MONITOR does not echo it.
        { req: ['GET', otherKey], kinds: ['redirect'] },
      ],
    },
    {
      name: 'subscribe-inside-multi',
      pipelinable: true,
      uncertain: 1,
      steps: [
        { req: ['MULTI'], kinds: ['none'] },
        { req: ['SUBSCRIBE', 'x', 'y'], kinds: ['none'] },
        { req: ['PING'], kinds: ['none'] },
        { req: ['EXEC'], kinds: 'RESP-dependent' as unknown as Kind[] },
        { req: ['CLUSTER', 'SLOTS'], kinds: ['none'] },
        { req: ['GET', otherKey], kinds: ['redirect'] },
      ],
    },
  ];
}

async function capture(
  cluster: RunningCluster,
  spec: TranscriptSpec,
  protocol: 2 | 3,
  self: FixtureNode,
): Promise<Transcript> {
  for (const c of spec.setup ?? []) await cluster.cli(c.node, c.args);
  try {
    return await captureSteps(cluster, spec, protocol, self);
  } finally {
    for (const c of spec.teardown ?? []) await cluster.cli(c.node, c.args);
  }
}

async function captureSteps(
  cluster: RunningCluster,
  spec: TranscriptSpec,
  protocol: 2 | 3,
  self: FixtureNode,
): Promise<Transcript> {
  const { caCert } = cluster.certs;
  const { user, password } = cluster.spec;
  const conn = await RawConn.open(self.ip, self.port, caCert, user, password);
  const other = await RawConn.open(self.ip, self.port, caCert, user, password);
  const steps: Step[] = [];
  try {
    const all =
      protocol === 3 ? [{ req: ['HELLO', '3'], kinds: ['none'] as Kind[] }, ...spec.steps] : spec.steps;
    for (const s of all) {
      if (s.other) await other.exchange(mb(s.other));
      const client = s.req === undefined ? '' : typeof s.req === 'string' ? s.req : mb(s.req);
      const bytes = await conn.exchange(client, s.waitMs ?? 120);
      steps.push({
        client,
        server: label(bytes, s.kinds, `${spec.name} RESP${protocol} ${client.replace(/\r\n/g, ' ')}`),
      });
    }
  } finally {
    conn.close();
    other.close();
  }
  return { name: spec.name, pipelinable: spec.pipelinable, uncertain: spec.uncertain, steps };
}

/** A label must agree with the bytes at least this far: redirects are -MOVED/-ASK, nothing else is. */
function checked(segments: Segment[], what: string): Segment[] {
  for (const seg of segments) {
    const isRedirect = /^-(MOVED|ASK) /.test(seg.bytes);
    if (isRedirect !== (seg.kind === 'redirect'))
      throw new Error(`${what}: ${seg.kind} label on ${JSON.stringify(seg.bytes.slice(0, 80))}`);
  }
  return segments;
}

function label(bytes: Buffer, kinds: StepSpec['kinds'], what: string): Segment[] {
  return checked(labelFrames(bytes, kinds, what), what);
}

function labelFrames(bytes: Buffer, kinds: StepSpec['kinds'], what: string): Segment[] {
  const frames = splitFrames(bytes);
  if ((kinds as unknown) === 'RESP-dependent')
    return frames.map((f) => ({ kind: 'none', bytes: f.toString('latin1') }));
  if (Array.isArray(kinds)) {
    if (frames.length !== kinds.length) {
      throw new Error(
        `${what}: expected ${kinds.length} frames, got ${frames.length}: ${JSON.stringify(bytes.toString('latin1').slice(0, 300))}`,
      );
    }
    return frames.map((f, i) => ({ kind: kinds[i], bytes: f.toString('latin1') }));
  }
  if (frames.length !== 1) throw new Error(`${what}: expected one EXEC reply, got ${frames.length}`);
  const { header, elements } = splitAggregate(frames[0]);
  if (elements.length !== kinds.exec.length)
    throw new Error(`${what}: EXEC has ${elements.length} elements, not ${kinds.exec.length}`);
  return [
    { kind: 'none', bytes: header.toString('latin1') },
    ...elements.map((e, i) => ({ kind: kinds.exec[i], bytes: e.toString('latin1') })),
  ];
}

const STYLES: Array<{ name: string; hostnames: boolean; endpointType: string }> = [
  { name: 'ip', hostnames: false, endpointType: 'ip' },
  { name: 'ip-with-hostnames', hostnames: true, endpointType: 'ip' },
  { name: 'hostname', hostnames: true, endpointType: 'hostname' },
  { name: 'unknown-endpoint', hostnames: true, endpointType: 'unknown-endpoint' },
];

async function main(): Promise<void> {
  const server = await redisServerVersion();
  const cluster = await startCluster(SPEC, (m) => console.log(m));
  try {
    const first = cluster.nodes[0];
    const initial = parseNodes(await cluster.cli(first, ['CLUSTER', 'NODES']));
    const self = initial.find((n) => n.flags.includes('myself')) as (typeof initial)[number];
    const [start, end] = self.slots[0].split('-').map(Number);
    const tag = tagFor(start, end);
    const otherMaster = initial.find(
      (n) => n.flags.includes('master') && n.id !== self.id,
    ) as (typeof initial)[number];
    const [os] = otherMaster.slots[0].split('-').map(Number);
    const otherKey = (() => {
      for (let i = 0; ; i++) if (hashSlot(`o${i}`) >= os && hashSlot(`o${i}`) <= os + 100) return `o${i}`;
    })();
    for (const style of STYLES) {
      for (const node of cluster.nodes) {
        await cluster.cli(node, [
          'CONFIG',
          'SET',
          'cluster-announce-hostname',
          style.hostnames ? node.hostname : '',
        ]);
        await cluster.cli(node, ['CONFIG', 'SET', 'cluster-preferred-endpoint-type', style.endpointType]);
      }
      cluster.spec.hostnames = style.hostnames;
      await settle(cluster);
      if (!style.hostnames) {
        // wait until no node still gossips an old hostname
        await new Promise((r) => setTimeout(r, 1500));
      }
      const nodes = parseNodes(await cluster.cli(first, ['CLUSTER', 'NODES']));
      const nodesText = await cluster.cli(first, ['CLUSTER', 'NODES']);
      await cluster.cli(first, ['SET', `{${tag}}nodes`, nodesText]);
      const slotsLookalike = `return {{${start},${end},{'${self.ip}',${self.port},'${self.id}',{}}}}`;
      const migratingKey = 'ask:1';
      const migrating = { slot: hashSlot(migratingKey), key: migratingKey };
      if (migrating.slot < start || migrating.slot > end)
        throw new Error(`${migratingKey} is not on ${self.ip}:${self.port}`);
      for (const protocol of [2, 3] as const) {
        const out: FixtureFile = {
          server,
          style: style.name,
          protocol,
          connectedTo: { ip: self.ip, port: self.port, id: self.id },
          nodes: nodes.map(({ id, ip, port, cport, hostname }) => ({ id, ip, port, cport, hostname })),
          transcripts: [],
        };
        for (const t of transcripts({ self, other: otherMaster, tag, otherKey, slotsLookalike, migrating })) {
          out.transcripts.push(await capture(cluster, t, protocol, self));
        }
        const dir = join('test', 'fixtures', style.name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `resp${protocol}.json`), JSON.stringify(out, null, 1) + '\n');
        console.log(`wrote ${dir}/resp${protocol}.json (${out.transcripts.length} transcripts)`);
      }
    }
  } finally {
    await cluster.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
