/**
 * New-connection latency: a fresh connection, one PING, closed; sequentially, through the tunnel
 * (plaintext: the PING takes the shared connection, or with --no-share a warm upstream from the
 * pool) and directly (TCP + TLS + AUTH + PING), median
 * milliseconds and the ratio. Part of `npm run bench:e2e` (BENCH_ONLY=connect for these rows alone).
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { encodeCommand } from '../src/resp/encode.js';
import { median, timedConversation } from './measure.js';

const PING = Buffer.from('PING\r\n');
/** What node-redis 5 and ioredis 6 send on every new connection before the first command. */
const LIBRARY_HANDSHAKE = Buffer.concat([
  encodeCommand(['CLIENT', 'SETINFO', 'LIB-VER', '1.0.0']),
  encodeCommand(['CLIENT', 'SETINFO', 'LIB-NAME', 'bench']),
  PING,
]);
/** Connections measured in a row on one path before the next path's turn. */
const CONNECT_BLOCK = 25;

export interface ConnectTargets {
  tunnelPort: number;
  /** Where the --workers 2 tunnel listens (same port): its clients are handed to a worker. */
  workersHost: string;
  /** Where the --no-share tunnel listens (same port): each client takes a warm pooled upstream. */
  ownHost: string;
  direct: { host: string; port: number; caFile: string; user: string; password: string };
  count: number;
}

export async function connectRows(t: ConnectTargets): Promise<string[]> {
  const ca = readFileSync(t.direct.caFile);
  const authAndPing = Buffer.concat([encodeCommand(['AUTH', t.direct.user, t.direct.password]), PING]);
  const { user, password } = t.direct;
  const libraryDirect = Buffer.concat([
    encodeCommand(['HELLO', '3', 'AUTH', user, password]),
    LIBRARY_HANDSHAKE,
  ]);
  const libraryTunnel = Buffer.concat([encodeCommand(['HELLO', '3']), LIBRARY_HANDSHAKE]);
  const viaTunnel = (): net.Socket => net.connect({ host: '127.0.0.1', port: t.tunnelPort, noDelay: true });
  const direct = (): net.Socket =>
    tls.connect({
      host: t.direct.host,
      port: t.direct.port,
      ca,
      // An IP: no SNI (RFC 6066), the certificate is still checked against it.
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.direct.host, cert),
    });
  const viaWorkers = (): net.Socket =>
    net.connect({ host: t.workersHost, port: t.tunnelPort, noDelay: true });
  const viaOwn = (): net.Socket => net.connect({ host: t.ownHost, port: t.tunnelPort, noDelay: true });
  const tunnelMs: number[] = [];
  const workersMs: number[] = [];
  const ownMs: number[] = [];
  const directMs: number[] = [];
  const libraryTunnelMs: number[] = [];
  const libraryDirectMs: number[] = [];
  const paths: Array<() => Promise<void>> = [
    async () => void tunnelMs.push(await timedConversation(viaTunnel, 'PING\r\n', '+PONG\r\n')),
    async () => void workersMs.push(await timedConversation(viaWorkers, 'PING\r\n', '+PONG\r\n')),
    async () => void ownMs.push(await timedConversation(viaOwn, 'PING\r\n', '+PONG\r\n')),
    async () => void directMs.push(await timedConversation(direct, authAndPing, '+OK\r\n+PONG\r\n')),
    async () => void libraryTunnelMs.push(await timedConversation(viaTunnel, libraryTunnel, '+PONG\r\n')),
    async () => void libraryDirectMs.push(await timedConversation(direct, libraryDirect, '+PONG\r\n')),
  ];
  // Interleaved in blocks, so all see the same machine: one at a time, the connection measured just
  // after a direct TLS one paid for that one's teardown (in the node and in this process) and read
  // 2x slower than in a block of its own.
  for (let i = 0; i < t.count; i += CONNECT_BLOCK)
    for (const path of paths) for (let k = i; k < Math.min(i + CONNECT_BLOCK, t.count); k++) await path();
  const tm = median(tunnelMs);
  const wm = median(workersMs);
  const om = median(ownMs);
  const dm = median(directMs);
  const [ltm, ldm] = [median(libraryTunnelMs), median(libraryDirectMs)];
  return [
    '',
    `new connections: ${t.count} sequential per path, each connect + PING + close, interleaved in blocks of ${CONNECT_BLOCK}; median ms`,
    `direct TLS + AUTH + PING   ${dm.toFixed(3)} ms`,
    `through the tunnel         ${tm.toFixed(3)} ms  (${(tm / dm).toFixed(2)}x direct; target <= 0.25x)`,
    `through --workers 2        ${wm.toFixed(3)} ms  (${(wm / dm).toFixed(2)}x direct: the socket goes to a worker first)`,
    `through --no-share         ${om.toFixed(3)} ms  (${(om / dm).toFixed(2)}x direct: a warm upstream from the pool)`,
    "a client library's handshake (HELLO 3, CLIENT SETINFO x2) + PING, as node-redis 5 and ioredis 6 connect:",
    `direct TLS (HELLO 3 AUTH)  ${ldm.toFixed(3)} ms`,
    `through the tunnel         ${ltm.toFixed(3)} ms  (${(ltm / ldm).toFixed(2)}x direct)`,
  ];
}
