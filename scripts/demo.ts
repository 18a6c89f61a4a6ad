/**
 * The README's main command (`npm run demo`): starts the project's own TLS + ACL Redis Cluster on
 * 127.0.0.11-16, starts the tunnel against it, prints how to connect, and stops both on Ctrl-C.
 *   node dist/scripts/demo.js [layout] [--docker [--image IMAGE]]
 * layouts: default, same-port, hostname, unknown-endpoint. --docker: the nodes run as containers
 * (Docker Engine API, host networking, the same addresses, users and certificates).
 */
import { readyReport } from '../src/cli/report.js';
import { createLogger } from '../src/log.js';
import { resolveOptions } from '../src/tunnel/options.js';
import { Tunnel } from '../src/tunnel/tunnel.js';
import { LAYOUTS, type RunningCluster, positionals, runnerChoice, startCluster } from './lib/cluster.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const layout = positionals(args)[0] ?? 'default';
  const spec = LAYOUTS[layout];
  if (!spec) {
    process.stderr.write(`unknown layout ${layout}; one of: ${Object.keys(LAYOUTS).join(', ')}\n`);
    return 2;
  }
  const log = createLogger('info', 'text');
  // Filled in as things start; Ctrl-C stops whatever is there.
  const started: { cluster?: RunningCluster; tunnel?: Tunnel } = {};
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${why}: stopping the tunnel and the cluster`);
    await started.tunnel?.stop();
    await started.cluster?.stop();
    log.info('stopped');
  };
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => void stop(signal).then(resolve));
  });
  const cluster = await startCluster(spec, (m) => log.info(m), runnerChoice(args));
  started.cluster = cluster;
  if (stopping) {
    // Ctrl-C arrived while the cluster was starting: stop what has started since.
    await cluster.stop();
    return 0;
  }
  const seed = cluster.nodes[0];
  const options = resolveOptions({
    seed: { host: seed.ip, port: seed.port },
    tls: true,
    caFile: cluster.certs.caCert,
    user: cluster.spec.user,
    password: cluster.spec.password,
    mode: 'both',
  });
  const tunnel = new Tunnel(options, log);
  started.tunnel = tunnel;
  try {
    await tunnel.start();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  const local = tunnel.table.seed?.local;
  const smart = { host: local?.host ?? '127.0.0.1', port: options.smartPort };
  const cliSeed = `rediss://${cluster.spec.user}@${seed.ip}:${seed.port} --cacert ${cluster.certs.caCert}`;
  process.stdout.write(
    [
      '',
      `Cluster: ${cluster.nodes.length} TLS-only redis-server nodes on ${cluster.nodes.map((n) => `${n.ip}:${n.port}`).join(', ')},`,
      `ACL user "${cluster.spec.user}" with a password, certificates from a throwaway CA in ${cluster.certs.dir}.`,
      '',
      readyReport(tunnel.table, { ...smart, only: false }),
      '',
      'Try, in another terminal (no password, no TLS):',
      `  redis-cli -c -p ${local?.port} set hello world      # a cluster client, on the node ports`,
      `  redis-cli -c -p ${local?.port} cluster nodes`,
      `  redis-cli --cluster check ${local?.host}:${local?.port}`,
      `  redis-cli -p ${smart.port} get hello                # any client, on the smart port: no MOVED`,
      `  redis-cli -p ${smart.port} dbsize                   # the whole cluster's keys`,
      "or the cluster at one prompt, straight to the TLS nodes (this demo's throwaway password):",
      `  REDISCLI_AUTH=${cluster.spec.password} node dist/src/cli.js cli ${cliSeed}`,
      '',
      'Ctrl-C stops the tunnel and the cluster.',
      '',
    ].join('\n'),
  );
  await stopped;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
