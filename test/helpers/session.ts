/**
 * Builds a Session from one flat set of callbacks, so that a test names only what it watches.
 * (The Session takes a sink and an address book; this adapter fills in the rest as no-ops.)
 */
import { RequestReading } from '../../src/client/requests.js';
import { Session } from '../../src/protocol/session.js';
import type { SessionSink } from '../../src/protocol/sink.js';
import type { ScannerLimits } from '../../src/resp/reply-scanner.js';
import type { AddressLookup, NodeRef } from '../../src/topology/types.js';

export interface FlatSessionOptions {
  lookup: AddressLookup;
  /** The upstream speaks TLS (SHARDS nodes named by tls-port). @default true */
  tls?: boolean;
  self?: { host: string; port: number };
  toServer?: (buf: Buffer) => void;
  toClient?: (buf: Buffer) => void;
  /** Stands for AddressBook.ensure: a promise holds the reply until it settles. */
  learn?: (missing: NodeRef[]) => Promise<void> | void;
  onUnmapped?: (missing: NodeRef[]) => void;
  onUncertain?: (reason: string) => void;
  onInternalReply?: (ok: boolean, reply: string) => void;
  onResume?: () => void;
  onOwnFromHere?: (why: string) => void;
  onError?: (err: unknown) => void;
  rewriteRequest?: (request: Buffer) => Buffer | null;
  loginAfterReset?: () => Buffer | null;
  waitMarker?: () => Buffer | null;
  limits?: ScannerLimits;
}

export function newSession(o: FlatSessionOptions): Session {
  const sink: SessionSink = {
    toServer: (b) => o.toServer?.(b),
    toClient: (b) => o.toClient?.(b),
    ownFromHere: (why) => o.onOwnFromHere?.(why),
    resume: () => o.onResume?.(),
    fail: (e) => o.onError?.(e),
    notice: (n) => {
      if (n.kind === 'uncertain') o.onUncertain?.(n.reason);
      else if (n.kind === 'unmapped') o.onUnmapped?.(n.missing);
      else if (n.kind === 'internal-reply') o.onInternalReply?.(n.ok, n.reply);
    },
  };
  const learn = o.learn;
  return new Session(sink, {
    addresses: {
      lookup: o.lookup,
      tls: o.tls ?? true,
      ensure: learn ? (missing) => learn(missing) ?? undefined : undefined,
    },
    self: o.self,
    rewriteRequest: o.rewriteRequest,
    loginAfterReset: o.loginAfterReset,
    waitMarker: o.waitMarker,
    limits: o.limits,
    parserOptions: RequestReading.UNREAD.options,
  });
}
