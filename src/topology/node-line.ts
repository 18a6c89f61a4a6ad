import { parsePort } from './endpoint.js';

/** The address token of a CLUSTER NODES / REPLICAS line, parsed. */
export interface NodeLineAddress {
  id: string;
  ip: string;
  port: number;
  cport: string;
  hostname?: string;
  flags: string[];
  /** Offsets of the address token in the line. */
  tokenStart: number;
  tokenEnd: number;
}

/** Reads `<id> <ip>:<port>@<cport>[,<hostname>] <flags> ...`; null when the line is not of that form. */
export function parseNodeLine(line: string): NodeLineAddress | null {
  const s1 = line.indexOf(' ');
  if (s1 <= 0) return null;
  const s2 = line.indexOf(' ', s1 + 1);
  if (s2 < 0) return null;
  const s3 = line.indexOf(' ', s2 + 1);
  const token = line.slice(s1 + 1, s2);
  const at = token.lastIndexOf('@');
  if (at < 0) return null;
  const comma = token.indexOf(',', at);
  const hostPort = token.slice(0, at);
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) return null;
  const port = parsePort(hostPort.slice(colon + 1));
  if (port === null) return null;
  const parsed: NodeLineAddress = {
    id: line.slice(0, s1),
    ip: hostPort.slice(0, colon),
    port,
    cport: comma < 0 ? token.slice(at + 1) : token.slice(at + 1, comma),
    flags: line.slice(s2 + 1, s3 < 0 ? line.length : s3).split(','),
    tokenStart: s1 + 1,
    tokenEnd: s2,
  };
  if (comma >= 0 && comma + 1 < token.length) parsed.hostname = token.slice(comma + 1);
  return parsed;
}
