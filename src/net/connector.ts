import * as net from 'node:net';
import * as tls from 'node:tls';
import { decode, text } from '../resp/decode.js';
import { FrameCollector } from '../resp/frame-collector.js';
import { isErrorType } from '../resp/types.js';
import type { NodeTarget } from '../topology/types.js';
import { NodeError, type StallPhase, describeSocketError, describeStall } from './node-error.js';
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

/** An open, authenticated connection. `pending` holds bytes that arrived after the handshake. */
export interface OpenNode {
  socket: net.Socket;
  pending: Buffer | null;
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
   * and the reason.
   */
  open(target: NodeTarget, auth: Buffer | null): Promise<OpenNode> {
    const { connectTimeoutMs: ms, tls: useTls } = this.transport;
    return new Promise<OpenNode>((resolve, reject) => {
      const raw = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
      raw.setKeepAlive(true, 30_000);
      /** The raw socket until it connects, then (for TLS) the TLS socket over it. */
      let socket: net.Socket = raw;
      let settled = false;
      let phase: StallPhase = 'connect';
      const fail = (e: NodeError): void => {
        if (settled) return;
        settled = true;
        cleanup();
        socket.destroy();
        raw.destroy();
        reject(e);
      };
      // The raw socket counts what the node sent before the TLS layer makes sense of it.
      const timer = setTimeout(() => fail(describeStall(target, phase, raw.bytesRead, ms)), ms);
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
          return fail(new NodeError(target.label, 'auth', `authentication failed: ${why}`));
        }
        done(got.rest);
      };
      const watch = (s: net.Socket, on: boolean): void => {
        const method = on ? 'on' : 'off';
        s[method]('error', onError);
        s[method]('close', onClose);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        watch(socket, false);
        socket.off('data', onData);
      };
      const done = (pending: Buffer | null): void => {
        if (settled) return;
        settled = true;
        socket.pause();
        cleanup();
        resolve({ socket, pending });
      };
      const authenticate = (): void => {
        if (!auth) return done(null);
        phase = 'auth';
        socket.on('data', onData);
        // The credential goes on the wire, never anywhere else.
        socket.write(auth);
      };
      watch(raw, true);
      raw.once('connect', () => {
        if (!useTls) return authenticate();
        // TLS starts once TCP is up: over a connected socket Node's TLS layer works on its handle
        // directly; over one still connecting it goes through a slower stream wrapper.
        phase = 'handshake';
        watch(raw, false);
        socket = this.secure(raw, target);
        watch(socket, true);
        socket.once('secureConnect', authenticate);
      });
    });
  }

  /** TLS over a socket already dialled, with the TLS name rule and session resumption. */
  private secure(raw: net.Socket, target: NodeTarget): tls.TLSSocket {
    const name = target.tlsName;
    const insecure = this.transport.insecure;
    // SNI carries names only; for an IP the certificate is still checked against the IP.
    const servername = net.isIP(name) ? undefined : name;
    const key = TlsSessionCache.key(target.host, target.port, servername);
    // allowHalfOpen is honoured by tls.connect but missing from its type.
    const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
      socket: raw,
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
