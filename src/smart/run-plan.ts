import { WAIT_COMMANDS } from '../protocol/wait-marker.js';
import { encodeCommand, errorReply } from '../resp/encode.js';
import type { NodeEntry } from '../topology/node-table.js';
import type { SmartContext } from './context.js';
import type { Dispatcher } from './dispatch.js';
import { merge } from './merge.js';
import type { Plan } from './plan.js';
import { scanStep } from './scan.js';
import { sendScript } from './scripts.js';

/**
 * Carries out a request's plan: refuses it, sends it to its slot's master, steps a SCAN, or sends
 * it to every master or split by slot and merges the replies; `done` gets the one reply.
 */
export function runPlan(
  p: Plan,
  name: string,
  args: Buffer[],
  bytes: Buffer,
  done: (reply: Buffer) => void,
  ctx: SmartContext,
  dispatcher: Dispatcher,
): void {
  switch (p.kind) {
    case 'refuse':
      ctx.stats.error('refused');
      return done(errorReply(p.error));
    case 'node':
      return sendScript(ctx.scripts, dispatcher, name, args, p.slot, bytes, p.lane, done);
    case 'scan':
      return scanStep(dispatcher, ctx.table, args, done);
    case 'fanout': {
      if (name === 'script' && args[1]?.toString('latin1').toLowerCase() === 'load' && args[2])
        ctx.scripts.remember(args[2]);
      const masters = ctx.table.masters();
      const waits = WAIT_COMMANDS.includes(name);
      return gather(
        masters.map(
          (m) => (cb) =>
            waits ? wait(ctx, dispatcher, m, bytes, cb) : dispatcher.sendTo(m, bytes, cb, p.lane),
        ),
        (r) => done(merge(p.merge, r)),
      );
    }
    case 'split':
      return gather(
        p.parts.map((part) => (cb) => dispatcher.send(part.slot, encodeCommand(part.args), cb, p.lane)),
        (r) =>
          done(
            merge(
              p.merge,
              r,
              p.parts.map((x) => x.positions),
            ),
          ),
      );
  }
}

/** Runs every sender; calls `all` with the replies in sender order once each has answered. */
function gather(senders: Array<(cb: (r: Buffer) => void) => void>, all: (replies: Buffer[]) => void): void {
  const replies: Buffer[] = new Array(senders.length);
  let left = senders.length;
  if (left === 0) return all([errorReply('CLUSTERDOWN redis-cluster-tunnel: no master serves slots')]);
  senders.forEach((send, i) =>
    send((r) => {
      replies[i] = r;
      if (--left === 0) all(replies);
    }),
  );
}

/**
 * WAIT or WAITAOF at one master: on the client's own connection, behind the wait marker when the
 * client's writes need it (see Lanes.sendWait), so it counts replicas that have this client's
 * writes and holds no one else.
 */
function wait(
  ctx: SmartContext,
  dispatcher: Dispatcher,
  master: NodeEntry,
  request: Buffer,
  done: (r: Buffer) => void,
): void {
  dispatcher.sendWait(master, ctx.waitMarkers.forNode(master.node), request, done);
}
