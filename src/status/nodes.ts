import type { NodeTable } from '../topology/node-table.js';
import { formatSlots } from '../topology/parse.js';

/** One served node, as the ready file and the status page list it. */
export interface NodeRow {
  /** The local listener, host:port. */
  local: string;
  /** The node as the cluster announces it (dial address or name). */
  node: string;
  id: string;
  role: 'master' | 'replica';
  /** For a replica: its master's node address. */
  master?: string;
  /** Slot ranges, as in the startup table ("0-5460 10923"). */
  slots: string;
}

/** Every node the cluster lists (not ad hoc redirect targets), by local port. */
export function nodeRows(table: NodeTable): NodeRow[] {
  return table
    .entries()
    .filter((e) => !e.adhoc)
    .sort((a, b) => a.local.port - b.local.port)
    .map((e) => ({
      local: `${e.local.host}:${e.local.port}`,
      node: e.target.label,
      id: e.node.id,
      role: e.node.role,
      ...(e.node.role === 'replica' && e.node.masterId
        ? { master: table.get(e.node.masterId)?.target.label ?? e.node.masterId }
        : {}),
      slots: formatSlots(e.node.slots),
    }));
}
