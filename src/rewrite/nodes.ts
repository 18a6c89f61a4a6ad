import { type RespNode, isNull, text } from '../resp/decode.js';
import { aggregateHeader } from '../resp/encode.js';
import { T_ARRAY, T_BULK, T_VERBATIM } from '../resp/types.js';
import { joinHostPort } from '../topology/endpoint.js';
import { parseNodeLine } from '../topology/node-line.js';
import type { AddressLookup, NodeRef } from '../topology/types.js';
import type { RewriteOutcome } from './outcome.js';

/**
 * CLUSTER NODES (bulk in RESP2, verbatim `=` with a `txt:` prefix in RESP3) and CLUSTER REPLICAS /
 * SLAVES (an array of bulk strings, one line each, without the trailing newline). Only the second
 * token of a line changes: `ip:port@cport[,hostname]` becomes `localhost:localport@cport`. The
 * `,hostname` suffix is dropped because Lettuce prefers it over the IP. `noaddr` lines (`:0@0`) are
 * kept as they are: the server itself does not know where that node is.
 */
export function rewriteNodesReply(
  buf: Buffer,
  root: RespNode,
  lookup: AddressLookup,
  out: RewriteOutcome,
): void {
  if (root.type !== T_BULK && root.type !== T_VERBATIM) return;
  if (isNull(root)) return;
  const prefix = root.type === T_VERBATIM ? 4 : 0; // `txt:` counts in the verbatim length
  const body = buf.toString('latin1', root.valueStart + prefix, root.valueEnd);
  const rewritten = rewriteNodesText(body, lookup, out.missing);
  if (rewritten === null) return;
  const payload = Buffer.from(rewritten, 'latin1');
  const head =
    root.type === T_VERBATIM ? buf.subarray(root.valueStart, root.valueStart + 4) : Buffer.alloc(0);
  const header = Buffer.from(`${String.fromCharCode(root.type)}${payload.length + prefix}\r\n`, 'latin1');
  out.edits.push({
    start: root.start,
    end: root.end,
    bytes: Buffer.concat([header, head, payload, Buffer.from('\r\n')]),
  });
}

/** CLUSTER REPLICAS / SLAVES: every element is one node line. */
export function rewriteReplicasReply(
  buf: Buffer,
  root: RespNode,
  lookup: AddressLookup,
  out: RewriteOutcome,
): void {
  if (root.type !== T_ARRAY || !root.children) return;
  for (const child of root.children) {
    if (child.children || isNull(child) || (child.type !== T_BULK && child.type !== T_VERBATIM)) continue;
    const line = text(buf, child);
    const rewritten = rewriteNodeLine(line, lookup, out.missing);
    if (rewritten === null) continue;
    const payload = Buffer.from(rewritten, 'latin1');
    out.edits.push({
      start: child.start,
      end: child.end,
      bytes: Buffer.concat([aggregateHeader(T_BULK, payload.length), payload, Buffer.from('\r\n')]),
    });
  }
}

/** Rewrites every line of a CLUSTER NODES body; null when nothing changed. */
export function rewriteNodesText(body: string, lookup: AddressLookup, missing: NodeRef[]): string | null {
  const lines = body.split('\n');
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const r = rewriteNodeLine(lines[i], lookup, missing);
    if (r !== null) {
      lines[i] = r;
      changed = true;
    }
  }
  return changed ? lines.join('\n') : null;
}

/** One node line, rewritten; null when it stays as it is. */
export function rewriteNodeLine(line: string, lookup: AddressLookup, missing: NodeRef[]): string | null {
  const a = parseNodeLine(line);
  if (!a) return null;
  // noaddr: the server has forgotten this node's address (`:0@0`); there is nothing to point at.
  if (a.port === 0 || a.flags.includes('noaddr')) return null;
  const ref: NodeRef = { id: a.id, host: a.ip, port: a.port, ip: a.ip };
  if (a.hostname !== undefined) ref.hostname = a.hostname;
  const local = lookup(ref);
  if (!local) {
    missing.push(ref);
    return null;
  }
  const token = `${joinHostPort(local.host, local.port)}@${a.cport}`;
  return line.slice(0, a.tokenStart) + token + line.slice(a.tokenEnd);
}
