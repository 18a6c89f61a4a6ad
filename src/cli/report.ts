import type { NodeTable } from '../topology/node-table.js';
import { formatSlots } from '../topology/parse.js';

/** The startup table: local address → node, role, slots; then how to connect. */
export function readyReport(table: NodeTable, smart?: { host: string; port: number; only: boolean }): string {
  const entries = table
    .entries()
    .sort((x, y) =>
      x.node.role === y.node.role ? x.local.port - y.local.port : x.node.role === 'master' ? -1 : 1,
    );
  const standalone = table.topology === 'standalone';
  const rows = entries.map((e) => [
    `${e.local.host}:${e.local.port}`,
    e.target.label,
    standalone && e.node.role === 'master' ? 'primary' : e.node.role,
    e.node.role !== 'master'
      ? `replica of ${table.get(e.node.masterId ?? '')?.target.label ?? e.node.masterId ?? '?'}`
      : standalone
        ? 'standalone: follows failover'
        : formatSlots(e.node.slots) || '(no slots)',
  ]);
  const head = ['LOCAL', 'NODE', 'ROLE', standalone ? 'SERVES' : 'SLOTS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const seed = table.seed;
  const seedAddr = seed ? `${seed.local.host}:${seed.local.port}` : '?';
  const pinned = standalone
    ? `Point clients at the primary, ${seedAddr} (e.g. redis-cli -h ${seed?.local.host} -p ${seed?.local.port})`
    : `Point cluster clients at ${seedAddr} (e.g. redis-cli -c -h ${seed?.local.host} -p ${seed?.local.port})`;
  const one =
    smart &&
    `point any client at ${smart.host}:${smart.port} (e.g. redis-cli -h ${smart.host} -p ${smart.port})`;
  const how = !one
    ? pinned
    : smart.only
      ? `Smart mode: ${one}`
      : standalone
        ? `${pinned}; or ${one}`
        : `${pinned}; for programs that do not speak Cluster, ${one}`;
  const what = standalone
    ? `a standalone primary and ${entries.length - 1} replica${entries.length === 2 ? '' : 's'}`
    : `${entries.length} nodes`;
  return [
    ...(smart?.only ? [] : [line(head), ...rows.map(line), '']),
    `ready: ${what}. ${how}; no password or TLS needed locally.`,
  ].join('\n');
}
