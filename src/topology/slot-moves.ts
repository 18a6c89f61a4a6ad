import { decode, text } from '../resp/decode.js';
import { errorText } from './parse.js';
import { parseNodeLine } from './node-line.js';
import type { SlotMove } from './types.js';

/**
 * The slots a master is moving, from its own CLUSTER NODES reply: only a node's `myself` line
 * carries them, as `[slot->-peer]` (migrating to peer) and `[slot-<-peer]` (importing from peer).
 * An error reply, or a reply with no such line, moves nothing.
 */
export function parseSlotMoves(frame: Buffer): { migrating: SlotMove[]; importing: SlotMove[] } {
  const moves = { migrating: [] as SlotMove[], importing: [] as SlotMove[] };
  if (errorText(frame) !== null) return moves;
  for (const line of text(frame, decode(frame)).split(/\r?\n/)) {
    if (!parseNodeLine(line)?.flags.includes('myself')) continue;
    for (const token of line.split(' ')) {
      const m = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(token);
      if (!m) continue;
      const move = { slot: Number(m[1]), peer: m[3] };
      (m[2] === '>' ? moves.migrating : moves.importing).push(move);
    }
  }
  return moves;
}

/** Consecutive slots moving to or from one peer, as ranges `lo-hi`, in slot order. */
export function moveRanges(moves: SlotMove[]): Array<{ slots: string; peer: string }> {
  const sorted = [...moves].sort((a, b) => a.slot - b.slot);
  const out: Array<{ lo: number; hi: number; peer: string }> = [];
  for (const { slot, peer } of sorted) {
    const last = out[out.length - 1];
    if (last && last.peer === peer && last.hi + 1 === slot) last.hi = slot;
    else out.push({ lo: slot, hi: slot, peer });
  }
  return out.map(({ lo, hi, peer }) => ({ slots: `${lo}-${hi}`, peer }));
}
