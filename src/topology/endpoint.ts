import { bulkString, integerReply } from '../resp/encode.js';
import type { LocalAddress, RemoteNode } from './types.js';

/** `[::1]` → `::1`; anything else unchanged. Servers print IPv6 unbracketed; users type brackets. */
export function unbracket(host: string): string {
  return host.length > 1 && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Splits `host:port` at the last colon: servers print IPv6 addresses unbracketed (`::1:6380`).
 * Brackets, if a peer sends them anyway, are removed. Returns null when the port is not a port.
 */
export function splitHostPort(endpoint: string): { host: string; port: number } | null {
  const colon = endpoint.lastIndexOf(':');
  if (colon < 0) return null;
  const port = parsePort(endpoint.slice(colon + 1));
  return port === null ? null : { host: unbracket(endpoint.slice(0, colon)), port };
}

/** A decimal TCP port (0–65535), or null. */
export function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port > 65535 ? null : port;
}

/** `host:port` the way servers write it in MOVED/ASK and CLUSTER NODES (IPv6 unbracketed). */
export function joinHostPort(host: string, port: number): string {
  return `${host}:${port}`;
}

/** Every name a node is announced by: its IP, hostname and preferred endpoint (never `?`). */
export function endpointsOf(node: RemoteNode): string[] {
  const out = new Set<string>();
  if (node.ip) out.add(node.ip);
  if (node.hostname) out.add(node.hostname);
  if (node.endpoint && node.endpoint !== '?') out.add(node.endpoint);
  return [...out];
}

/** True when `host:port` is one of the node's announced endpoints. */
export function hasEndpoint(node: RemoteNode, host: string, port: number): boolean {
  if (node.port !== port || !host) return false;
  const h = host.toLowerCase();
  return endpointsOf(node).some((e) => e.toLowerCase() === h);
}

/** Where a node says it is: its IP, else its hostname ('' when it announces neither). */
export function hostOf(node: RemoteNode): string {
  return node.ip || node.hostname || '';
}

/**
 * The port of a CLUSTER SHARDS node that clients use over our transport: `tls-port` for a TLS
 * upstream when the node has one, else `port` (and the other way round for plaintext). NaN when it
 * has neither.
 */
export function transportPort(plainPort: number, tlsPort: number, tlsUpstream: boolean): number {
  const [first, second] = tlsUpstream ? [tlsPort, plainPort] : [plainPort, tlsPort];
  return Number.isNaN(first) ? second : first;
}

/** A local address with its RESP encodings made once. */
export function localAddress(host: string, port: number): LocalAddress {
  return { host, port, encoded: { host: bulkString(host), port: integerReply(port) } };
}

/** The local host as a RESP bulk string. */
export function encodedHost(local: LocalAddress): Buffer {
  return local.encoded?.host ?? bulkString(local.host);
}

/** The local port as a RESP integer. */
export function encodedPort(local: LocalAddress): Buffer {
  return local.encoded?.port ?? integerReply(local.port);
}
