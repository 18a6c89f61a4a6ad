import { CodedError } from '../resp/errors.js';
import { OPEN_FILE_LIMIT } from './listen.js';
import type { NodeTarget } from '../topology/types.js';

/**
 * How a node connection failed. `silent` (connected, then not one byte within the timeout) is
 * told apart from `tls` because it has other causes: a stopped or overloaded node, or a plaintext
 * node waiting for a command line that a TLS ClientHello never completes.
 */
export type NodeErrorKind =
  | 'connect'
  | 'timeout'
  | 'silent'
  | 'tls'
  | 'auth'
  | 'protocol'
  | 'closed'
  /** This machine, not the node: out of file descriptors. */
  | 'local';

/** A failure at one node, with a reason fit for one line of output. Carries no secret. */
export class NodeError extends CodedError<NodeErrorKind> {
  constructor(
    readonly node: string,
    kind: NodeErrorKind,
    readonly reason: string,
    /** For `auth`: the node's own error reply, to pass on to a client whose login it was. */
    readonly reply?: Buffer,
  ) {
    super(kind, `${node}: ${reason}`);
  }
}

/** The readable part of an OpenSSL error string (`...:ssl3_read_bytes:tlsv13 alert certificate required:...`). */
function opensslReason(message: string): string {
  const m = /routines:[^:]*:([^:]+):/.exec(message);
  return (m ? m[1] : message).trim();
}

/** A socket or TLS error during connect, handshake or AUTH, as a NodeError with a hint that fits it. */
export function describeSocketError(target: NodeTarget, tls: boolean, err: NodeJS.ErrnoException): NodeError {
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
  if (/wrong version number|packet length too long|http request/i.test(err.message)) {
    // Bytes came back, and they were not a TLS record: the port speaks something else.
    return new NodeError(
      target.label,
      'tls',
      `the node answered, but not in TLS (${opensslReason(err.message)}): is it a plaintext port? use redis:// for plaintext`,
    );
  }
  if (code.startsWith('ERR_SSL')) {
    return new NodeError(target.label, 'tls', `TLS handshake failed: ${err.message}`);
  }
  if (code === 'ECONNRESET' && tls) {
    return new NodeError(
      target.label,
      'tls',
      'connection reset during the TLS handshake (does the node speak TLS?)',
    );
  }
  if (code === 'EMFILE' || code === 'ENFILE') {
    const limit = OPEN_FILE_LIMIT;
    return new NodeError(
      target.label,
      'local',
      `this machine is out of file descriptors${limit ? ` (the open-file limit is ${limit})` : ''}: raise it (ulimit -n)`,
    );
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ENOTFOUND: `cannot resolve ${target.host}`,
    EAI_AGAIN: `cannot resolve ${target.host} (temporary DNS failure)`,
    ETIMEDOUT: 'connect timed out',
    ECONNRESET: tls
      ? 'connection reset'
      : 'connection reset (does the node require TLS? use rediss:// or --tls)',
  };
  return new NodeError(target.label, 'connect', reasons[code] ?? `${code || 'error'}: ${err.message}`);
}

/** Where a connection attempt was when the connect timeout ran out. */
export type StallPhase = 'connect' | 'handshake' | 'auth';

/** The connect timeout ran out: what was (not) heard decides the hint. */
export function describeStall(
  target: NodeTarget,
  phase: StallPhase,
  bytesRead: number,
  ms: number,
): NodeError {
  if (phase === 'handshake' && bytesRead === 0) {
    return new NodeError(
      target.label,
      'silent',
      `connected, but no TLS handshake bytes came back within ${ms} ms (a stopped or overloaded node, or a plaintext port waiting for a command?)`,
    );
  }
  if (phase === 'handshake')
    return new NodeError(target.label, 'timeout', `the TLS handshake did not finish within ${ms} ms`);
  if (phase === 'auth') return new NodeError(target.label, 'timeout', `no answer to AUTH within ${ms} ms`);
  return new NodeError(target.label, 'timeout', `no answer within ${ms} ms`);
}

/**
 * The seed stayed silent through the TLS handshake; a plaintext PING then told whether it is a
 * plaintext port. The wording for each answer.
 */
export function silentSeedReason(ms: number, plaintext: boolean): string {
  return plaintext
    ? `no TLS handshake within ${ms} ms, but the node answers in plaintext: use redis:// (without --tls) for a plaintext node`
    : `connected, but the node sent nothing within ${ms} ms: no TLS handshake, and no answer in plaintext either (is it stopped or overloaded?)`;
}
