/**
 * Replays conversations captured from a real TLS Redis 7.0 cluster (scripts/capture-fixtures.ts)
 * through Session with the real AddressMap. Each reply frame was labelled by hand at capture time;
 * the expected output is built from those labels by literal substitution (helpers/fixture-expect).
 * Every transcript runs step by step with each step's reply whole, byte by byte, and cut at every
 * offset; pipelinable ones also run with all requests sent at once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FixtureFile, Transcript } from '../../scripts/capture-fixtures.js';
import { newSession } from '../helpers/session.js';
import { AddressMap } from '../../src/topology/address-map.js';
import { LOCAL_HOST, expectedSegment, localPort } from '../helpers/fixture-expect.js';

const ROOT = join(__dirname, '..', 'fixtures');

function loadFixtures(): FixtureFile[] {
  const out: FixtureFile[] = [];
  for (const style of readdirSync(ROOT)) {
    for (const file of readdirSync(join(ROOT, style))) {
      if (file.endsWith('.json'))
        out.push(JSON.parse(readFileSync(join(ROOT, style, file), 'latin1')) as FixtureFile);
    }
  }
  return out;
}

function addressMap(f: FixtureFile): AddressMap {
  const map = new AddressMap();
  for (const n of f.nodes) {
    const endpoint =
      f.style === 'hostname' ? (n.hostname ?? '?') : f.style === 'unknown-endpoint' ? '' : n.ip;
    map.set(
      { id: n.id, ip: n.ip, port: n.port, hostname: n.hostname ?? undefined, endpoint },
      { host: LOCAL_HOST, port: localPort(f, n) },
    );
  }
  return map;
}

type Cut = (data: Buffer, stepIndex: number) => Buffer[];

function replay(
  f: FixtureFile,
  t: Transcript,
  pipelined: boolean,
  cut: Cut,
): { toClient: string; toServer: string; uncertain: string[] } {
  let toClient = '';
  let toServer = '';
  const uncertain: string[] = [];
  const session = newSession({
    lookup: addressMap(f).lookup,
    self: { host: f.connectedTo.ip, port: f.connectedTo.port },
    toClient: (b) => (toClient += b.toString('latin1')),
    toServer: (b) => (toServer += b.toString('latin1')),
    onUncertain: (r) => uncertain.push(r),
  });
  const serverBytes = (i: number): Buffer =>
    Buffer.from(t.steps[i].server.map((s) => s.bytes).join(''), 'latin1');
  const withHello = f.protocol === 3;
  if (pipelined) {
    session.fromClient(Buffer.from(t.steps.map((s) => s.client).join(''), 'latin1'));
    const all = Buffer.concat(t.steps.map((_, i) => serverBytes(i)));
    for (const c of cut(all, 0)) session.fromServer(Buffer.from(c));
  } else {
    t.steps.forEach((step, i) => {
      session.fromClient(Buffer.from(step.client, 'latin1'));
      for (const c of cut(serverBytes(i), i)) session.fromServer(Buffer.from(c));
    });
  }
  void withHello;
  return { toClient, toServer, uncertain };
}

const fixtures = loadFixtures();

describe('captured fixtures', () => {
  it('are present for every style and protocol', () => {
    const names = fixtures.map((f) => `${f.style}/resp${f.protocol}`).sort();
    expect(names).toEqual(
      ['hostname', 'ip', 'ip-with-hostnames', 'unknown-endpoint']
        .flatMap((s) => [`${s}/resp2`, `${s}/resp3`])
        .sort(),
    );
  });

  for (const f of fixtures) {
    describe(`${f.style} RESP${f.protocol} (redis ${f.server})`, () => {
      for (const t of f.transcripts) {
        const expected = t.steps.map((s) => s.server.map((seg) => expectedSegment(f, seg)).join('')).join('');
        const requests = t.steps.map((s) => s.client).join('');
        const longest = Math.max(...t.steps.map((s) => s.server.reduce((n, seg) => n + seg.bytes.length, 0)));

        it(`${t.name}: rewrites exactly the labelled replies, in every split`, () => {
          const ways: Array<[string, Cut]> = [
            ['whole', (d) => [d]],
            ['byte by byte', (d) => Array.from({ length: d.length }, (_, i) => d.subarray(i, i + 1))],
          ];
          for (let k = 1; k < longest; k++)
            ways.push([`cut at ${k}`, (d) => (k < d.length ? [d.subarray(0, k), d.subarray(k)] : [d])]);
          for (const [how, cut] of ways) {
            const r = replay(f, t, false, cut);
            expect(r.toServer, how).toBe(requests);
            if (r.toClient !== expected) expect(r.toClient, how).toBe(expected);
            expect(r.uncertain.length, how).toBe(t.uncertain);
          }
        });

        if (t.pipelinable) {
          it(`${t.name}: same bytes when every request is pipelined at once`, () => {
            const total = t.steps.reduce(
              (n, s) => n + s.server.reduce((m, seg) => m + seg.bytes.length, 0),
              0,
            );
            const ways: Array<[string, Cut]> = [
              ['whole', (d) => [d]],
              ['byte by byte', (d) => Array.from({ length: d.length }, (_, i) => d.subarray(i, i + 1))],
            ];
            for (let k = 1; k < total; k += 7)
              ways.push([`cut at ${k}`, (d) => [d.subarray(0, k), d.subarray(k)]]);
            for (const [how, cut] of ways) {
              const r = replay(f, t, true, cut);
              if (r.toClient !== expected) expect(r.toClient, how).toBe(expected);
              expect(r.uncertain.length, how).toBe(t.uncertain);
            }
          });
        }
      }

      it('labels at least one reply of every topology kind and a redirect', () => {
        const kinds = new Set(
          f.transcripts.flatMap((t) => t.steps.flatMap((s) => s.server.map((seg) => seg.kind))),
        );
        expect([...kinds].sort()).toEqual(['nodes', 'none', 'redirect', 'replicas', 'shards', 'slots']);
      });
    });
  }
});
