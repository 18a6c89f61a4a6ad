/**
 * TLS sessions to resume, per (dial address, port, TLS name): one tunnel opens an upstream per
 * client connection, and a resumed handshake saves a round trip and the certificate checks. Owned
 * by one connector; bounded, oldest first out, so a long run that meets many nodes stays small.
 */
export class TlsSessionCache {
  private readonly sessions = new Map<string, Buffer>();

  constructor(private readonly limit: number) {}

  static key(host: string, port: number, servername: string | undefined): string {
    return `${host}|${port}|${servername ?? ''}`;
  }

  get(key: string): Buffer | undefined {
    return this.sessions.get(key);
  }

  set(key: string, session: Buffer): void {
    // Re-inserting moves the key to the young end of the Map's insertion order.
    this.sessions.delete(key);
    this.sessions.set(key, session);
    if (this.sessions.size > this.limit) this.sessions.delete(this.sessions.keys().next().value as string);
  }

  get size(): number {
    return this.sessions.size;
  }
}
