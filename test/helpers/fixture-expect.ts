/**
 * Expected rewritten bytes for captured fixtures, built by literal byte substitution per node from
 * the fixture's node table: no RESP decoding, nothing shared with src/. Each function handles one
 * reply kind, the kind having been labelled by hand when the fixture was captured.
 */
import type { FixtureFile, FixtureNode, Segment } from '../../scripts/capture-fixtures.js';

export const LOCAL_HOST = '127.0.0.1';
/** Local ports deliberately unlike the remote ones, so port rewriting is visible. */
export const localPort = (f: FixtureFile, n: FixtureNode): number => 20001 + f.nodes.indexOf(n);

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;
const LOCAL_BULK = bulk(LOCAL_HOST);

function replaceAll(s: string, from: string, to: string): string {
  return s.split(from).join(to);
}

export function expectedSegment(f: FixtureFile, seg: Segment): string {
  switch (seg.kind) {
    case 'none':
      return seg.bytes;
    case 'redirect':
      return expectRedirect(f, seg.bytes);
    case 'slots':
      return expectSlots(f, seg.bytes);
    case 'nodes':
      return expectNodes(f, seg.bytes);
    case 'replicas':
      return expectReplicas(f, seg.bytes);
    case 'shards':
      return expectShards(f, seg.bytes);
  }
}

function expectRedirect(f: FixtureFile, s: string): string {
  const m = /^-(MOVED|ASK) (\d+) (.*):(\d+)\r\n$/.exec(s);
  if (!m) throw new Error(`not a redirect: ${s}`);
  const [, kind, slot, host, port] = m;
  const node = f.nodes.find(
    (n) => Number(port) === n.port && (host === '' || host === n.ip || host === n.hostname),
  );
  if (!node) throw new Error(`redirect to an unknown node: ${s}`);
  return `-${kind} ${slot} ${LOCAL_HOST}:${localPort(f, node)}\r\n`;
}

function expectSlots(f: FixtureFile, s: string): string {
  let out = s;
  for (const n of f.nodes) {
    const hosts = [bulk(n.ip), ...(n.hostname ? [bulk(n.hostname)] : []), '$-1\r\n', '_\r\n'];
    const tail = `:${n.port}\r\n$40\r\n${n.id}\r\n`;
    const ipPair = `$2\r\nip\r\n${bulk(n.ip)}`;
    const hnPair = n.hostname ? `$8\r\nhostname\r\n${bulk(n.hostname)}` : null;
    const localIp = `$2\r\nip\r\n${LOCAL_BULK}`;
    const metas: Array<[string, string]> = [
      ['*0\r\n', '*0\r\n'],
      ['%0\r\n', '%0\r\n'],
      [`*2\r\n${ipPair}`, `*2\r\n${localIp}`],
      [`%1\r\n${ipPair}`, `%1\r\n${localIp}`],
    ];
    if (hnPair) {
      metas.push([`*2\r\n${hnPair}`, '*0\r\n'], [`%1\r\n${hnPair}`, '%0\r\n']);
      metas.push(
        [`*4\r\n${ipPair}${hnPair}`, `*2\r\n${localIp}`],
        [`%2\r\n${ipPair}${hnPair}`, `%1\r\n${localIp}`],
      );
    }
    const to = `${LOCAL_BULK}:${localPort(f, n)}\r\n$40\r\n${n.id}\r\n`;
    for (const h of hosts) for (const [m, m2] of metas) out = replaceAll(out, h + tail + m, to + m2);
  }
  return out;
}

function rewriteNodeText(f: FixtureFile, text: string): string {
  let out = text;
  for (const n of f.nodes) {
    const to = `${LOCAL_HOST}:${localPort(f, n)}@${n.cport}`;
    if (n.hostname) out = replaceAll(out, `${n.ip}:${n.port}@${n.cport},${n.hostname}`, to);
    out = replaceAll(out, `${n.ip}:${n.port}@${n.cport}`, to);
  }
  return out;
}

function expectNodes(f: FixtureFile, s: string): string {
  const headerEnd = s.indexOf('\r\n');
  const type = s[0];
  const prefix = type === '=' ? 4 : 0;
  const body = s.slice(headerEnd + 2 + prefix, s.length - 2);
  const text = rewriteNodeText(f, body);
  return type === '=' ? `=${text.length + 4}\r\ntxt:${text}\r\n` : `$${text.length}\r\n${text}\r\n`;
}

function expectReplicas(f: FixtureFile, s: string): string {
  const parts = s.split('\r\n');
  const out = [parts[0]];
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const line = rewriteNodeText(f, parts[i + 1]);
    out.push(`$${line.length}`, line);
  }
  return out.join('\r\n') + '\r\n';
}

function expectShards(f: FixtureFile, s: string): string {
  let out = s;
  for (const n of f.nodes) {
    const idField = `$2\r\nid\r\n$40\r\n${n.id}\r\n`;
    const hnPair = n.hostname ? `$8\r\nhostname\r\n${bulk(n.hostname)}` : null;
    if (hnPair && out.includes(hnPair)) {
      // the hostname pair goes: one pair fewer in this node's map header
      out = out.replace(
        new RegExp(`([*%])(\\d+)\\r\\n${escape(idField)}`),
        (_m, t: string, c: string) => `${t}${Number(c) - (t === '%' ? 1 : 2)}\r\n${idField}`,
      );
      out = replaceAll(out, hnPair, '');
    }
    out = replaceAll(out, `$8\r\ntls-port\r\n:${n.port}\r\n`, `$4\r\nport\r\n:${localPort(f, n)}\r\n`);
    out = replaceAll(out, `$2\r\nip\r\n${bulk(n.ip)}`, `$2\r\nip\r\n${LOCAL_BULK}`);
    out = replaceAll(out, `$8\r\nendpoint\r\n${bulk(n.ip)}`, `$8\r\nendpoint\r\n${LOCAL_BULK}`);
    if (n.hostname)
      out = replaceAll(out, `$8\r\nendpoint\r\n${bulk(n.hostname)}`, `$8\r\nendpoint\r\n${LOCAL_BULK}`);
  }
  return replaceAll(out, `$8\r\nendpoint\r\n$0\r\n\r\n`, `$8\r\nendpoint\r\n${LOCAL_BULK}`);
}

function escape(s: string): string {
  return s
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}
