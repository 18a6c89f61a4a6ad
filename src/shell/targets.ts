import type { NodeEntry, NodeTable } from '../topology/node-table.js';

/**
 * The nodes a line's `@` prefix names: `@masters`, `@replicas`, `@all`, `@HOST:PORT` (a node's
 * announced address or its local address) or `@` and a node-id prefix. Masters first, each group
 * in the order of their addresses. An error text when nothing matches.
 */
export function nodesNamed(table: NodeTable, target: string): NodeEntry[] | string {
  const listed = table
    .entries()
    .filter((e) => !e.adhoc && e.goneSince === undefined)
    .sort(
      (a, b) =>
        Number(a.node.role !== 'master') - Number(b.node.role !== 'master') ||
        a.target.label.localeCompare(b.target.label, 'en', { numeric: true }),
    );
  const t = target.toLowerCase();
  let found: NodeEntry[];
  if (t === 'masters' || t === 'primaries') found = listed.filter((e) => e.node.role === 'master');
  else if (t === 'replicas') found = listed.filter((e) => e.node.role === 'replica');
  else if (t === 'all') found = listed;
  else
    found = listed.filter(
      (e) =>
        e.target.label.toLowerCase() === t ||
        `${e.target.host}:${e.target.port}` === t ||
        `${e.local.host}:${e.local.port}` === t ||
        (t.length >= 4 && e.node.id.toLowerCase().startsWith(t)),
    );
  if (found.length > 0) return found;
  return `no node matches @${target}: use @masters, @replicas, @all, @HOST:PORT or @ and a node id prefix`;
}

/** The header line printed above a node's reply: its address and role. */
export function nodeHeader(table: NodeTable, e: NodeEntry): string {
  const role =
    e.node.role === 'master'
      ? table.topology === 'standalone'
        ? 'primary'
        : 'master'
      : `replica of ${table.get(e.node.masterId ?? '')?.target.label ?? '?'}`;
  const id = table.topology === 'standalone' ? '' : `, ${e.node.id.slice(0, 8)}`;
  return `${e.target.label} (${role}${id}):\n`;
}
