import type { NodeTable } from '../topology/node-table.js';
import { formatSlots } from '../topology/parse.js';

/** The startup table: local address → node, role, slots; then how to connect. */
export function readyReport(table: NodeTable, smart?: { host: string; port: number; only: boolean }): string {
  const entries = table
    .entries()
    .sort((x, y) =>
      x.node.role === y.node.role ? x.local.port - y.local.port : x.node.role === 'master' ? -1 : 1,
    );
  const rows = entries.map((e) => [
    `${e.local.host}:${e.local.port}`,
    e.target.label,
    e.node.role,
    e.node.role === 'master'
      ? formatSlots(e.node.slots) || '(no slots)'
      : `replica of ${table.get(e.node.masterId ?? '')?.target.label ?? e.node.masterId ?? '?'}`,
  ]);
  const head = ['LOCAL', 'NODE', 'ROLE', 'SLOTS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const seed = table.seed;
  const seedAddr = seed ? `${seed.local.host}:${seed.local.port}` : '?';
  const pinned = `Point cluster clients at ${seedAddr} (e.g. redis-cli -c -h ${seed?.local.host} -p ${seed?.local.port})`;
  const one =
    smart &&
    `point any client at ${smart.host}:${smart.port} (e.g. redis-cli -h ${smart.host} -p ${smart.port})`;
  const how = !one
    ? pinned
    : smart.only
      ? `Smart mode: ${one}`
      : `${pinned}; for programs that do not speak Cluster, ${one}`;
  return [
    ...(smart?.only ? [] : [line(head), ...rows.map(line), '']),
    `ready: ${entries.length} nodes. ${how}; no password or TLS needed locally.`,
  ].join('\n');
}
