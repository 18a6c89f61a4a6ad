/**
 * What a server answers to a command it does not have, or with the wrong number of arguments,
 * before anything runs (CommandTable.refusal), on the recorded COMMAND table of the server the
 * tests run. The same words from the live node are asserted in test/e2e/node-replies.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CommandTable } from '../../src/protocol/command-table.js';
import { RECORDED_COMMAND_REPLY } from '../helpers/recorded-commands.js';

const table = new CommandTable(RECORDED_COMMAND_REPLY);
const refusal = (...line: string[]): string | null =>
  table.refusal(line.map((a) => Buffer.from(a, 'latin1')))?.toString('latin1') ?? null;

describe("a command's refusal before it runs", () => {
  it('none for a known command with a right count, a container named alone, or a known subcommand', () => {
    expect([
      refusal('GET', 'k'),
      refusal('PING'),
      refusal('CLIENT', 'GETNAME'),
      refusal('mset', 'a', '1'),
    ]).toEqual([null, null, null, null]);
  });

  it('an unknown command lists its arguments up to 128 bytes, line breaks as spaces', () => {
    expect(refusal('FOO')).toBe("-ERR unknown command 'FOO', with args beginning with: \r\n");
    expect(refusal('foo', 'a\nb', 'c')).toBe(
      "-ERR unknown command 'foo', with args beginning with: 'a b' 'c' \r\n",
    );
    const long = 'x'.repeat(200);
    expect(refusal('FOO', long, 'after')).toBe(
      `-ERR unknown command 'FOO', with args beginning with: '${'x'.repeat(128)}' \r\n`,
    );
  });

  it("an unknown subcommand, and arity by the subcommand's full name", () => {
    expect(refusal('Client', 'nosuch')).toBe("-ERR unknown subcommand 'nosuch'. Try CLIENT HELP.\r\n");
    expect(refusal('CLIENT', 'SETNAME')).toBe(
      "-ERR wrong number of arguments for 'client|setname' command\r\n",
    );
    expect(refusal('CLIENT')).toBe("-ERR wrong number of arguments for 'client' command\r\n");
    expect(refusal('GET')).toBe("-ERR wrong number of arguments for 'get' command\r\n");
  });
});
