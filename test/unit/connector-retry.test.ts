/**
 * A node that resets a connection while it is being opened: the connector tries once more, and
 * reports the node and the reason when the second try is reset too. The node is a fake (named
 * so): a loopback TCP server that resets the first connections it gets and answers AUTH on the
 * others, with plain TCP (the reset is the same under TLS).
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connector } from '../../src/net/connector.js';
import { NodeError } from '../../src/net/node-error.js';
import { encodeCommand } from '../../src/resp/encode.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A fake node that resets its first `resets` connections at their first bytes; counts them all. */
async function resettingNode(resets: number): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = net.createServer((s) => {
    const n = ++connections;
    s.on('error', () => undefined);
    s.once('data', () => (n <= resets ? s.resetAndDestroy() : s.write('+OK\r\n')));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

const connector = new Connector({ tls: false, insecure: false, connectTimeoutMs: 2000, tlsSessionLimit: 0 });
const auth = encodeCommand(['AUTH', 'user', 'secret']);
const target = (port: number) => ({
  host: '127.0.0.1',
  port,
  label: `127.0.0.1:${port}`,
  tlsName: '127.0.0.1',
});

describe('opening a node connection that is reset', () => {
  it('once: the second try opens it', async () => {
    const node = await resettingNode(1);
    const open = await connector.open(target(node.port), auth);
    expect(node.connections()).toBe(2);
    open.socket.destroy();
  });

  it('twice: a NodeError naming the node and the reset, after two tries', async () => {
    const node = await resettingNode(2);
    const failed = await connector.open(target(node.port), auth).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(NodeError);
    expect((failed as NodeError).message).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${node.port}: connection reset`),
    );
    expect(node.connections()).toBe(2);
  });
});
