import type * as net from 'node:net';
import { type LocalAuth, OK, gate, helloWithoutAuth } from '../protocol/local-auth.js';
import { protocolErrorReply } from '../resp/encode.js';
import { ProtocolError } from '../resp/errors.js';
import { FrameSplitter } from '../resp/frame-splitter.js';
import { endClient } from '../net/listen.js';
import { RequestParser } from '../resp/request-parser.js';
import type { RequestSizeLimits } from '../resp/request-parser-options.js';
import { requestArgs } from '../rewrite/requests.js';

/**
 * The front of every client connection under `--local-password`, in both modes: until the client
 * has authenticated, the tunnel answers every request itself (AUTH, HELLO … AUTH, QUIT; anything
 * else -NOAUTH) and nothing reaches the mode, nor a node. From the first accepted AUTH on, bytes
 * pass to the mode untouched; a HELLO … AUTH goes on without its AUTH option. (Later AUTHs are the
 * mode's to answer: see `gate`.)
 */
export class LocalPasswordGate {
  private open = false;
  /** QUIT, or a request it could not read, was answered and the client ended: later bytes are dropped. */
  private ended = false;
  private readonly parser: RequestParser;
  private readonly frames: FrameSplitter;

  /**
   * Where a client's bytes go: to the mode, or under --local-password through a gate, so nothing
   * reaches the mode (or a node) until the client has AUTHed.
   */
  static before(
    mode: { read(bytes: Buffer): void },
    auth: LocalAuth | null,
    client: net.Socket,
    limits: RequestSizeLimits,
  ): (chunk: Buffer) => void {
    if (!auth) return (chunk) => mode.read(chunk);
    const gate = new LocalPasswordGate(
      auth,
      (reply, close) => (close ? endClient(client, reply) : void client.write(reply)),
      (bytes) => mode.read(bytes),
      limits,
    );
    return (chunk) => gate.push(chunk);
  }

  constructor(
    private readonly auth: LocalAuth,
    /** A reply of the tunnel's own, to the client. */
    private readonly reply: (bytes: Buffer, close?: boolean) => void,
    /** Bytes for the mode, once open. */
    private readonly pass: (bytes: Buffer) => void,
    limits: RequestSizeLimits,
  ) {
    this.parser = new RequestParser({ names: [], ...limits, keepArgs: true });
    this.frames = new FrameSplitter(this.parser, () => this.parser.inRequest);
  }

  /**
   * Bytes that are not requests get a protocol error and end the client, as a server answers them
   * before AUTH. The chunk may be lent
   * (see SocketReads): before the gate opens it is copied, since a partial request is kept.
   */
  push(lent: Buffer): void {
    if (this.open) return this.pass(lent);
    if (this.ended) return;
    const chunk = Buffer.from(lent);
    let done = 0;
    try {
      this.frames.push(chunk, (frame, end) => {
        done = end;
        if (this.parser.argc > 0) this.request(this.parser.args ?? requestArgs(frame));
        return !this.open && !this.ended; // once open, the rest of the chunk is the mode's
      });
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      // As a server with a password answers it: the protocol error, then the connection ends.
      this.ended = true;
      return this.reply(protocolErrorReply(e), true);
    }
    if (this.open && done < chunk.length) this.pass(chunk.subarray(done));
  }

  private request(args: Buffer[]): void {
    const name = args[0].toString('latin1').toLowerCase();
    const { step, authed } = gate(this.auth, false, name, args);
    this.open = authed;
    if ('reply' in step) return this.reply(step.reply);
    if (name === 'quit') {
      this.ended = true; // nothing after QUIT is read
      return this.reply(OK, true);
    }
    // The node answers the HELLO itself (its map, the protocol switch), without the AUTH.
    this.pass(helloWithoutAuth(args));
  }
}
