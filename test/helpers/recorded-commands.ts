import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandPolicy } from '../../src/protocol/command-policy.js';
import { CommandTable } from '../../src/protocol/command-table.js';
import { RequestReading } from '../../src/client/requests.js';
import { Planner } from '../../src/smart/plan.js';

/**
 * The COMMAND reply of redis-server 7.0.15, the version the project's scripts run, recorded raw
 * (RESP2) from a node on loopback. test/e2e/command-table.test.ts checks that the live cluster's
 * table gives the same policy, so this file cannot drift from the server the tests use.
 */
export const RECORDED_COMMAND_REPLY = readFileSync(
  join(__dirname, '..', 'fixtures', 'commands', 'redis-7.0.15.resp'),
);

/** The policy both modes build from that table. */
export function recordedPolicy(): CommandPolicy {
  return new CommandPolicy(new CommandTable(RECORDED_COMMAND_REPLY));
}

/** How both modes read requests with that table, as the tunnel makes it (see Serving.readCommands). */
export function recordedReading(): RequestReading {
  const commands = new CommandTable(RECORDED_COMMAND_REPLY);
  const planner = new Planner(commands, new CommandPolicy(commands));
  return new RequestReading(planner.policy, planner.batchNames);
}
