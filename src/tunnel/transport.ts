import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { NodeCommander } from '../net/commander.js';
import type { Connector, Transport } from '../net/connector.js';
import type { ClusterNode, NodeTarget } from '../topology/types.js';
import { hostOf } from '../topology/endpoint.js';
import { StartupError } from './errors.js';
import { type TunnelOptions, resolveDial } from './options.js';
import type { NodeCommands } from './topology-watcher.js';

/** Options → how every node connection is made (certificate files read once, here). */
export function transportFrom(o: TunnelOptions): Transport {
  const read = (what: string, file: string | undefined): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new StartupError('options', `cannot read the ${what} file ${file}: ${why}`);
    }
  };
  if (Boolean(o.certFile) !== Boolean(o.keyFile))
    throw new StartupError('options', '--cert and --key go together');
  return {
    tls: o.tls,
    ca: read('CA certificate', o.caFile),
    cert: read('client certificate', o.certFile),
    key: read('client key', o.keyFile),
    insecure: o.insecure,
    connectTimeoutMs: o.connectTimeoutMs,
    tlsSessionLimit: o.tlsSessionLimit,
  };
}

/** The seed's dial target: --resolve applies, and its TLS name is --sni or the name it was given by. */
export function seedTarget(o: TunnelOptions): NodeTarget {
  const { host, port } = o.seed;
  const dial = resolveDial(o.resolve, host, port) ?? host;
  return { host: dial, port, label: `${host}:${port}`, tlsName: o.sni ?? host };
}

/**
 * Node → dial target, with the TLS name rule: --sni, else its hostname, else the seed's name
 * (a configuration endpoint's wildcard certificate covers the nodes), else its IP.
 */
export function targetFor(o: TunnelOptions): (node: ClusterNode) => NodeTarget {
  const seedHost = o.seed.host;
  const seedIsName = net.isIP(seedHost) === 0;
  return (node) => {
    const host = hostOf(node) || seedHost;
    const tlsName = o.sni ?? node.hostname ?? (seedIsName ? seedHost : host);
    const dial =
      (node.hostname && resolveDial(o.resolve, node.hostname, node.port)) ||
      resolveDial(o.resolve, host, node.port) ||
      host;
    return { host: dial, port: node.port, label: `${node.hostname ?? host}:${node.port}`, tlsName };
  };
}

/** A command conversation with a node, over a connection of its own (discovery, COMMAND). */
export async function openCommands(
  connector: Connector,
  auth: Buffer | null,
  target: NodeTarget,
  timeoutMs: number,
): Promise<NodeCommands> {
  const commander = new NodeCommander(await connector.open(target, auth), target.label, timeoutMs);
  return { ask: (args) => commander.command(args), close: () => commander.close() };
}
