import * as net from 'node:net';
import * as tls from 'node:tls';
import { decode, text } from '../resp/decode.js';
import { FrameCollector } from '../resp/frame-collector.js';
import { isErrorType } from '../resp/types.js';
import type { NodeTarget } from '../topology/types.js';
import { NodeError, type StallPhase, describeSocketError, describeStall } from './node-error.js';
import { type OnRead, type SocketReads } from './socket-reads.js';
import { TlsSessionCache } from './tls-sessions.js';

/** How every node connection is made. Built once from the options (certificate files read there). */
export interface Transport {
  tls: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
  connectTimeoutMs: number;
  /** TLS sessions kept for resumption. */
  tlsSessionLimit: number;
}

/**
 * An open, authenticated connection. `pending` holds bytes that arrived after the handshake;
 * `reads` is the SocketReads it reads into, when opened with one.
 */
export interface OpenNode {
  socket: net.Socket;
  pending: Buffer | null;
  reads: SocketReads | null;
}

/**
 * Bytes the node sent on the TCP connection under TLS (0 when it cannot be read): they tell a
 * silent node from one that answered something other than a TLS handshake.
 */
function rawBytesRead(socket: net.Socket): number {
  const tcp = (socket as unknown as { _handle?: { _parent?: { bytesRead?: number } } })._handle?._parent;
  return tcp?.bytesRead ?? socket.bytesRead;
}

/** One tunnel's way to open node connections: its TLS context and resumable sessions. */
export class Connector {
  readonly transport: Transport;
  /** Made once (parsing certificates per connection is measurable). */
  private readonly secureContext: tls.SecureContext | undefined;
  private readonly sessions: TlsSessionCache;

  constructor(transport: Transport) {
    this.transport = transport;
    this.sessions = new TlsSessionCache(transport.tlsSessionLimit);
    this.secureContext = transport.tls
      ? tls.createSecureContext({ ca: transport.ca, cert: transport.cert, key: transport.key })
      : undefined;
  }

  /**
   * Connects, completes TLS, sends `auth` (when given) and checks its answer, and resolves with the
   * socket paused and no listeners of ours left on it. Every failure is a NodeError naming the node
   * and the reason. With `reads`, the socket reads into it (see SocketReads) and the caller sets
   * its handler; without, it emits 'data' as usual.
   */
  open(target: NodeTarget, auth: Buffer | null, reads?: SocketReads): Promise<OpenNode> {
    const { connectTimeoutMs: ms, tls: useTls } = this.transport;
    return new Promise<OpenNode>((resolve, reject) => {
      // TLS goes straight onto the TCP handle (tls.connect dials): Node's fast path, and the only
      // one that takes `onread`.
      const socket = useTls
        ? this.secure(target, reads)
        : net.connect({ host: target.host, port: target.port, allowHalfOpen: true, onread: reads?.onread });
      let settled = false;
      let phase: StallPhase = 'connect';
      const fail = (e: NodeError): void => {
        if (settled) return;
        settled = true;
        cleanup();
        socket.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(describeStall(target, phase, rawBytesRead(socket), ms)), ms);
      const onError = (err: NodeJS.ErrnoException): void => fail(describeSocketError(target, useTls, err));
      const onClose = (): void =>
        fail(
          new NodeError(
            target.label,
            'closed',
            useTls
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
          const why = 'the node did not answer AUTH in RESP (is this a Redis node?)';
          return fail(new NodeError(target.label, 'protocol', why));
        }
        if (!got) return;
        if (isErrorType(got.frame[0])) {
          const why = text(got.frame, decode(got.frame));
          return fail(new NodeError(target.label, 'auth', `authentication failed: ${why}`, got.frame));
        }
        done(got.rest);
      };
      // The collector keeps partial frames: lent chunks are copied (one reply, once).
      const onLent = (chunk: Buffer): void => onData(Buffer.from(chunk));
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (reads) reads.handler = () => undefined;
        else socket.off('data', onData);
      };
      const done = (pending: Buffer | null): void => {
        if (settled) return;
        settled = true;
        socket.pause();
        cleanup();
        resolve({ socket, pending, reads: reads ?? null });
      };
      const authenticate = (): void => {
        if (!auth) return done(null);
        phase = 'auth';
        if (reads) reads.handler = onLent;
        else socket.on('data', onData);
        // The credential goes on the wire, never anywhere else.
        socket.write(auth);
      };
      socket.on('error', onError);
      socket.on('close', onClose);
      socket.once('connect', () => {
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        if (!useTls) return authenticate();
        phase = 'handshake';
        socket.once('secureConnect', authenticate);
      });
    });
  }

  /** TLS to the node, with the TLS name rule and session resumption. */
  private secure(target: NodeTarget, reads: SocketReads | undefined): tls.TLSSocket {
    const name = target.tlsName;
    const insecure = this.transport.insecure;
    // SNI carries names only; for an IP the certificate is still checked against the IP.
    const servername = net.isIP(name) ? undefined : name;
    const key = TlsSessionCache.key(target.host, target.port, servername);
    // allowHalfOpen is honoured by tls.connect but missing from its type.
    const options: tls.ConnectionOptions & { allowHalfOpen: boolean; onread?: OnRead } = {
      host: target.host,
      port: target.port,
      onread: reads?.onread,
      allowHalfOpen: true,
      secureContext: this.secureContext,
      servername,
      rejectUnauthorized: !insecure,
      checkServerIdentity: (_host, cert) => (insecure ? undefined : tls.checkServerIdentity(name, cert)),
      session: this.sessions.get(key),
    };
    const socket = tls.connect(options);
    socket.on('session', (s: Buffer) => this.sessions.set(key, s));
    return socket;
  }
}
