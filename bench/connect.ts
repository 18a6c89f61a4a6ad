/**
 * New-connection latency: a fresh connection, one PING, closed; sequentially, through the tunnel
 * (plaintext, its warm pool hands the upstream over) and directly (TCP + TLS + AUTH + PING), median
 * milliseconds and the ratio. Part of `npm run bench:e2e` (BENCH_ONLY=connect for these rows alone).
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface ConnectTargets {
  tunnelPort: number;
  direct: { host: string; port: number; caFile: string; user: string; password: string };
  count: number;
}

/** One connection: connect, (TLS and AUTH), PING, wait for +PONG, close; milliseconds. */
function once(open: () => net.Socket, hello: string, expect: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const s = open();
    let got = '';
    s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith(expect)) {
        s.destroy();
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      }
    });
    s.on('error', reject);
    s.write(hello);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function connectRows(t: ConnectTargets): Promise<string[]> {
  const ca = readFileSync(t.direct.caFile);
  const auth = `*3\r\n$4\r\nAUTH\r\n$${t.direct.user.length}\r\n${t.direct.user}\r\n$${t.direct.password.length}\r\n${t.direct.password}\r\n`;
  const viaTunnel = (): net.Socket => net.connect({ host: '127.0.0.1', port: t.tunnelPort, noDelay: true });
  const direct = (): net.Socket =>
    tls.connect({ host: t.direct.host, port: t.direct.port, ca, servername: t.direct.host });
  const tunnelMs: number[] = [];
  const directMs: number[] = [];
  // Interleaved, so both see the same machine.
  for (let i = 0; i < t.count; i++) {
    tunnelMs.push(await once(viaTunnel, 'PING\r\n', '+PONG\r\n'));
    directMs.push(await once(direct, `${auth}PING\r\n`, '+OK\r\n+PONG\r\n'));
  }
  const tm = median(tunnelMs);
  const dm = median(directMs);
  return [
    '',
    `new connections: ${t.count} sequential, each connect + PING + close, interleaved; median ms`,
    `direct TLS + AUTH + PING   ${dm.toFixed(3)} ms`,
    `through the tunnel         ${tm.toFixed(3)} ms  (${(tm / dm).toFixed(2)}x direct; target <= 0.25x)`,
  ];
}
