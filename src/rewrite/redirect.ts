import { joinHostPort, splitHostPort } from '../topology/endpoint.js';
import type { AddressLookup, LocalAddress, NodeRef } from '../topology/types.js';

/** A parsed `-MOVED <slot> <endpoint>:<port>` or `-ASK ...` error. */
export interface Redirect {
  kind: 'MOVED' | 'ASK';
  slot: number;
  host: string;
  port: number;
}

const M = 0x4d;
const A = 0x41;

/** Quick test on a complete `-...\r\n` frame in `buf[start, end)`: could it be a redirect at all? */
export function mayBeRedirect(buf: Buffer, start = 0, end = buf.length): boolean {
  return end - start > 6 && (buf[start + 1] === M || buf[start + 1] === A);
}

/** Parses the text of an error line (without `-` and CRLF). Returns null for anything else. */
export function parseRedirect(line: string): Redirect | null {
  const parts = line.split(' ');
  if (parts.length !== 3 || (parts[0] !== 'MOVED' && parts[0] !== 'ASK')) return null;
  if (!/^\d{1,5}$/.test(parts[1])) return null;
  const slot = Number(parts[1]);
  if (slot > 16383) return null;
  const target = splitHostPort(parts[2]);
  if (!target) return null;
  return { kind: parts[0], slot, host: target.host, port: target.port };
}

export function formatRedirect(kind: Redirect['kind'], slot: number, local: LocalAddress): Buffer {
  return Buffer.from(`-${kind} ${slot} ${joinHostPort(local.host, local.port)}\r\n`, 'latin1');
}

/**
 * Rewrites a complete top-level error frame if it is a MOVED/ASK redirect. Returns the new bytes,
 * or null when the frame is not a redirect or names a node the lookup does not know (`missing`
 * then receives that node).
 */
export function rewriteRedirect(frame: Buffer, lookup: AddressLookup, missing?: NodeRef[]): Buffer | null {
  if (!mayBeRedirect(frame)) return null;
  const end = frame.length - 2;
  const r = parseRedirect(frame.toString('latin1', 1, end));
  if (!r) return null;
  const ref: NodeRef =
    r.kind === 'MOVED' ? { host: r.host, port: r.port, slot: r.slot } : { host: r.host, port: r.port };
  const local = lookup(ref);
  if (!local) {
    missing?.push(ref);
    return null;
  }
  return formatRedirect(r.kind, r.slot, local);
}
