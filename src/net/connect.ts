import { isIP } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { decode, text } from '../resp/decode.js';
import { encodeCommand } from '../resp/encode.js';
import { ReplyScanner, T_BULK_ERROR, T_ERROR } from '../resp/reply-scanner.js';

/** A node to connect to. */
export interface NodeTarget {
  /** Address to dial (an IP, or a name to resolve). */
  host: string;
  port: number;
  /** How messages name the node, e.g. `127.0.0.11:7001` or `node1.example:6379`. */
  label: string;
  /** Name the node's certificate must carry; also sent as SNI when it is a hostname. */
  tlsName: string;
}

/** How every node connection is made. Built once from the options. */
export interface ConnectSettings {
  tls: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Made once from ca/cert/key (parsing certificates per connection is measurable). */
  secureContext?: tls.SecureContext;
  insecure: boolean;
  user?: string;
  password?: string;
  connectTimeoutMs: number;
}

export type NodeErrorKind = 'connect' | 'timeout' | 'tls' | 'auth' | 'protocol' | 'closed';

/** A failure at one node, with a reason fit for one line of output. Carries no secret. */
export class NodeError extends Error {
  readonly node: string;
  readonly reason: string;
  readonly kind: NodeErrorKind;

  constructor(node: string, kind: NodeErrorKind, reason: string) {
    super(`${node}: ${reason}`);
    this.name = 'NodeError';
    this.node = node;
    this.kind = kind;
    this.reason = reason;
  }
}

/** An open, authenticated connection. `pending` holds bytes that arrived after the handshake. */
export interface OpenNode {
  socket: net.Socket;
  pending: Buffer | null;
}

/** Collects chunks until one complete reply frame is in; returns it and any bytes after it. */
class FrameCollector {
  private readonly scanner = new ReplyScanner();
  private readonly parts: Buffer[] = [];

  /** Throws ProtocolError on a malformed frame. */
  push(chunk: Buffer): { frame: Buffer; rest: Buffer | null } | null {
    this.parts.push(chunk);
    const end = this.scanner.next(chunk, 0);
    if (end < 0) return null;
    const all = this.parts.length === 1 ? chunk : Buffer.concat(this.parts);
    const frameEnd = all.length - (chunk.length - end);
    return { frame: all.subarray(0, frameEnd), rest: all.length > frameEnd ? all.subarray(frameEnd) : null };
  }
}

/** TLS sessions per node, so reconnects (one per client connection) can resume instead of a full handshake. */
const sessions = new Map<string, Buffer>();

/** The readable part of an OpenSSL error string (`...:ssl3_read_bytes:tlsv13 alert certificate required:...`). */
function opensslReason(message: string): string {
  const m = /routines:[^:]*:([^:]+):/.exec(message);
  return (m ? m[1] : message).trim();
}

function describeSocketError(
  target: NodeTarget,
  settings: ConnectSettings,
  err: NodeJS.ErrnoException,
): NodeError {
  const code = err.code ?? '';
  // An alert from the node: it refused our side of the handshake (a client certificate).
  if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) {
    const alert = opensslReason(err.message);
    const reason = /certificate required/i.test(alert)
      ? 'the node requires a client certificate (give --cert and --key)'
      : /certificate|unknown ca/i.test(alert)
        ? `the node rejected the client certificate: ${alert} (check --cert and --key)`
        : `the node ended the TLS handshake: ${alert}`;
    return new NodeError(target.label, 'tls', reason);
  }
  if (/CERT|SIGNATURE|ALTNAME|ISSUER|SELF_SIGNED|VERIFY/.test(code)) {
    const hint =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? ' (set the expected name with --sni)'
        : ' (is --cacert right?)';
    return new NodeError(
      target.label,
      'tls',
      `TLS certificate check failed for name ${target.tlsName}: ${err.message}${hint}`,
    );
  }
  if (code.startsWith('ERR_SSL') || /wrong version number|packet length too long/i.test(err.message)) {
    return new NodeError(
      target.label,
      'tls',
      `TLS handshake failed: ${err.message} (does the node speak TLS? use redis:// for plaintext)`,
    );
  }
  if (code === 'ECONNRESET' && settings.tls) {
    return new NodeError(
      target.label,
      'tls',
      'connection reset during the TLS handshake (does the node speak TLS?)',
    );
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: `cannot resolve ${target.host}`,
    EAI_AGAIN: `cannot resolve ${target.host} (temporary DNS failure)`,
    ETIMEDOUT: 'connect timed out',
    ECONNRESET: settings.tls
      ? 'connection reset'
      : 'connection reset (does the node require TLS? use rediss:// or --tls)',
  };
  return new NodeError(target.label, 'connect', reasons[code] ?? `${code || 'error'}: ${err.message}`);
}

function dial(target: NodeTarget, settings: ConnectSettings): net.Socket {
  if (!settings.tls)
    return net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
  const name = target.tlsName;
  // allowHalfOpen is honoured by tls.connect but missing from its type.
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    host: target.host,
    port: target.port,
    allowHalfOpen: true,
    secureContext:
      settings.secureContext ??
      (settings.secureContext = tls.createSecureContext({
        ca: settings.ca,
        cert: settings.cert,
        key: settings.key,
      })),
    // SNI carries names only; for an IP the certificate is still checked against the IP.
    servername: isIP(name) ? undefined : name,
    rejectUnauthorized: !settings.insecure,
    checkServerIdentity: (_host, cert) =>
      settings.insecure ? undefined : tls.checkServerIdentity(name, cert),
    session: sessions.get(`${target.host}:${target.port}`),
  };
  const socket = tls.connect(options);
  socket.on('session', (s: Buffer) => sessions.set(`${target.host}:${target.port}`, s));
  return socket;
}

/**
 * Connects, completes TLS, authenticates, and resolves with the socket paused and no listeners
 * of ours left on it. Every failure is a NodeError naming the node and the reason.
 */
export function openNode(target: NodeTarget, settings: ConnectSettings): Promise<OpenNode> {
  return new Promise<OpenNode>((resolve, reject) => {
    const socket = dial(target, settings);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    let settled = false;
    const fail = (e: NodeError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      reject(e);
    };
    let phase: 'connect' | 'handshake' | 'auth' = 'connect';
    const stalled = (): string => {
      const ms = settings.connectTimeoutMs;
      if (phase === 'handshake')
        return `no TLS handshake within ${ms} ms (does the node speak TLS? use redis:// for plaintext)`;
      if (phase === 'auth') return `no answer to AUTH within ${ms} ms`;
      return `no answer within ${ms} ms`;
    };
    const timer = setTimeout(
      () => fail(new NodeError(target.label, 'timeout', stalled())),
      settings.connectTimeoutMs,
    );
    if (settings.tls) socket.once('connect', () => (phase = 'handshake'));
    const onError = (err: NodeJS.ErrnoException): void => fail(describeSocketError(target, settings, err));
    const onClose = (): void =>
      fail(
        new NodeError(
          target.label,
          'closed',
          settings.tls
            ? 'connection closed during the handshake'
            : 'connection closed during AUTH (does the node require TLS? use rediss:// or --tls)',
        ),
      );
    const collector = new FrameCollector();
    const onData = (chunk: Buffer): void => {
      let got: ReturnType<FrameCollector['push']>;
      try {
        got = collector.push(chunk);
      } catch {
        return fail(
          new NodeError(
            target.label,
            'protocol',
            'the node did not answer AUTH in RESP (is this a Redis node?)',
          ),
        );
      }
      if (!got) return;
      if (got.frame[0] === T_ERROR || got.frame[0] === T_BULK_ERROR) {
        return fail(
          new NodeError(target.label, 'auth', `authentication failed: ${text(got.frame, decode(got.frame))}`),
        );
      }
      done(got.rest);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('data', onData);
    };
    const done = (pending: Buffer | null): void => {
      if (settled) return;
      settled = true;
      socket.pause();
      cleanup();
      resolve({ socket, pending });
    };
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.once(settings.tls ? 'secureConnect' : 'connect', () => {
      if (!settings.password) return done(null);
      phase = 'auth';
      socket.on('data', onData);
      // The password goes on the wire, never anywhere else.
      socket.write(
        encodeCommand(
          settings.user ? ['AUTH', settings.user, settings.password] : ['AUTH', settings.password],
        ),
      );
    });
  });
}

/**
 * Sends commands one at a time over an open node connection and returns each reply frame's
 * bytes: for discovery and topology refresh, not for client traffic.
 */
export class NodeCommander {
  private readonly socket: net.Socket;
  private readonly label: string;
  private readonly timeoutMs: number;
  private buffered: Buffer;

  constructor(open: OpenNode, label: string, timeoutMs: number) {
    this.socket = open.socket;
    this.label = label;
    this.timeoutMs = timeoutMs;
    // Bytes already read past a reply (none normally); the socket stays paused while idle.
    this.buffered = open.pending ?? Buffer.alloc(0);
  }

  command(args: string[]): Promise<Buffer> {
    const socket = this.socket;
    return new Promise<Buffer>((resolve, reject) => {
      const collector = new FrameCollector();
      const finish = (err: Error | null, frame?: Buffer): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', onError);
        socket.off('close', onClose);
        socket.pause();
        if (err) reject(err);
        else resolve(frame as Buffer);
      };
      const onData = (chunk: Buffer): void => {
        let got: ReturnType<FrameCollector['push']>;
        try {
          got = collector.push(chunk);
        } catch (e) {
          return finish(new NodeError(this.label, 'protocol', `malformed reply: ${(e as Error).message}`));
        }
        if (!got) return;
        this.buffered = got.rest ?? Buffer.alloc(0);
        finish(null, got.frame);
      };
      const onError = (err: Error): void => finish(new NodeError(this.label, 'connect', err.message));
      const onClose = (): void => finish(new NodeError(this.label, 'closed', 'connection closed'));
      const timer = setTimeout(
        () =>
          finish(
            new NodeError(
              this.label,
              'timeout',
              `no reply to ${args.slice(0, 2).join(' ')} within ${this.timeoutMs} ms`,
            ),
          ),
        this.timeoutMs,
      );
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.write(encodeCommand(args));
      const early = this.buffered;
      this.buffered = Buffer.alloc(0);
      if (early.length) onData(early);
      socket.resume();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
