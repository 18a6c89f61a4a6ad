import { describe, expect, it } from 'vitest';
import { CommandPolicy } from '../../src/protocol/command-policy.js';
import { CommandTable } from '../../src/protocol/command-table.js';
import { NameMatcher } from '../../src/resp/name-matcher.js';
import { RECORDED_COMMAND_REPLY } from '../helpers/recorded-commands.js';

/** Every command and subcommand 7.0.15 describes that does not go on a shared connection. */
const OWN_7_0_15 = [
  'acl|deluser', 'acl|dryrun', 'acl|getuser', 'acl|list', 'acl|load', 'acl|log', 'acl|save',
  'acl|setuser', 'acl|users', 'asking', 'bgrewriteaof', 'bgsave', 'blmove', 'blmpop',
  'blpop', 'brpop', 'brpoplpush', 'bzmpop', 'bzpopmax', 'bzpopmin', 'client|caching',
  'client|getname', 'client|getredir', 'client|help', 'client|id', 'client|info', 'client|kill',
  'client|list', 'client|no-evict', 'client|pause', 'client|reply', 'client|tracking',
  'client|trackinginfo', 'client|unblock', 'client|unpause', 'cluster|addslots',
  'cluster|addslotsrange', 'cluster|bumpepoch', 'cluster|count-failure-reports', 'cluster|delslots',
  'cluster|delslotsrange', 'cluster|failover', 'cluster|flushslots', 'cluster|forget',
  'cluster|meet', 'cluster|replicas', 'cluster|replicate', 'cluster|reset', 'cluster|saveconfig',
  'cluster|set-config-epoch', 'cluster|setslot', 'cluster|slaves', 'config|get', 'config|resetstat',
  'config|rewrite', 'config|set', 'debug', 'discard', 'exec', 'failover', 'latency|doctor',
  'latency|graph', 'latency|histogram', 'latency|history', 'latency|latest', 'latency|reset',
  'module|list', 'module|load', 'module|loadex', 'module|unload', 'monitor', 'multi', 'pfdebug',
  'pfselftest', 'psubscribe', 'psync', 'punsubscribe', 'readonly', 'readwrite', 'replconf',
  'replicaof', 'reset', 'save', 'select', 'shutdown', 'slaveof', 'slowlog|get', 'slowlog|len',
  'slowlog|reset', 'ssubscribe', 'subscribe', 'sunsubscribe', 'sync', 'unsubscribe', 'unwatch',
  'wait', 'watch', 'xread', 'xreadgroup',
]; // prettier-ignore

/** A made-up COMMAND reply (a fake: no server here loads modules) with two module commands. */
function fakeModuleTable(): CommandTable {
  const entry = (name: string, flags: string[]): string =>
    `*6\r\n$${name.length}\r\n${name}\r\n:-2\r\n*${flags.length}\r\n` +
    flags.map((f) => `+${f}\r\n`).join('') +
    ':1\r\n:1\r\n:1\r\n';
  return new CommandTable(
    Buffer.from(
      `*3\r\n${entry('json.get', ['readonly', 'module'])}${entry('mymod', ['readonly', 'module'])}${entry('get', ['readonly', 'fast'])}`,
    ),
  );
}

describe('command policy: an allow-list from the server table', () => {
  const table = new CommandTable(RECORDED_COMMAND_REPLY);
  const policy = new CommandPolicy(table);

  it('classifies every command and subcommand of the recorded COMMAND reply', () => {
    expect(table.size).toBe(240);
    const described: string[] = [];
    for (const info of table.all()) {
      if (info.subcommands.size === 0) described.push(info.name);
      for (const sub of info.subcommands.values()) described.push(sub.name);
    }
    expect(described.length).toBe(351);
    const placed = new Map(policy.entries());
    for (const name of described)
      expect(placed.get(name), name).toMatch(/^(shared|shared-write|own|label|login|tunnel)$/);
    const counts = { shared: 0, 'shared-write': 0, own: 0, label: 0, login: 0, tunnel: 0 };
    for (const [, p] of placed) counts[p]++;
    expect(counts).toEqual({ shared: 142, 'shared-write': 106, own: 99, label: 3, login: 1, tunnel: 2 });
  });

  it('keeps exactly these off the shared connection', () => {
    const own = policy
      .entries()
      .filter(([, p]) => p === 'own')
      .map(([n]) => n)
      .sort();
    expect(own).toEqual(OWN_7_0_15);
  });

  it('shares plain reads and writes, scripts, PUBLISH and topology queries', () => {
    for (const name of ['get', 'mget', 'eval_ro', 'fcall_ro', 'ping', 'info'])
      expect(policy.placementOf(name), name).toBe('shared');
    // What a node holds while it pauses writes: flagged write, or may_replicate (hidden by COMMAND).
    for (const name of ['set', 'del', 'eval', 'evalsha', 'fcall', 'publish', 'spublish', 'pfcount'])
      expect(policy.placementOf(name), name).toBe('shared-write');
    expect(policy.placementOf('script', 'load')).toBe('shared-write');
    expect(policy.placementOf('function', 'load')).toBe('shared-write');
    expect(policy.placementOf('script', 'exists')).toBe('shared');
    expect(policy.placementOf('cluster', 'SLOTS')).toBe('shared');
    expect(policy.placementOf('cluster', 'nodes')).toBe('shared');
    expect(policy.placementOf('object', 'encoding')).toBe('shared');
    expect(policy.placementOf('acl', 'whoami')).toBe('shared');
  });

  it('never shares what the table does not describe', () => {
    expect(policy.placementOf('nosuchcommand')).toBe('own');
    expect(policy.placementOf('cluster')).toBe('own');
    expect(policy.placementOf('cluster', null)).toBe('own');
    expect(policy.placementOf('cluster', 'nosuchsub')).toBe('own');
    expect(policy.placementOfRequest('config', [Buffer.from('CONFIG')])).toBe('own');
  });

  it('never shares a module command, even one flagged readonly', () => {
    const modules = new CommandPolicy(fakeModuleTable());
    expect(modules.placementOf('json.get')).toBe('own');
    expect(modules.placementOf('mymod')).toBe('own');
    expect(modules.placementOf('get')).toBe('shared');
    // A name the parsers cannot match by bytes is not handed to them.
    expect(modules.names).not.toContain('json.get');
  });

  it('shares nothing when the table could not be read, except what it answers itself', () => {
    const none = new CommandPolicy(null);
    expect(none.placementOf('get')).toBe('own');
    expect(none.placementOf('quit')).toBe('tunnel');
    expect(none.placementOf('hello')).toBe('label');
  });

  it('hands parsers every shared name, the containers and the names placed by name', () => {
    const names = new Set(policy.names);
    expect(names.has('get')).toBe(true);
    expect(names.has('client')).toBe(true);
    expect(names.has('quit')).toBe(true);
    expect(names.has('hello')).toBe(true);
    expect(names.has('auth')).toBe(true);
    expect(names.has('select')).toBe(false);
    expect(names.has('blpop')).toBe(false);
    expect([...policy.containers].sort()).toEqual(
      ['acl', 'client', 'cluster', 'command', 'config', 'function', 'latency', 'memory', 'module', 'object', 'pubsub', 'script', 'slowlog', 'xgroup', 'xinfo'],
    ); // prettier-ignore
    // Parsers are made per client: the list is made once and its matcher reused.
    expect(policy.names).toBe(policy.names);
    expect(NameMatcher.of(policy.names)).toBe(NameMatcher.of(policy.names));
  });
});

describe('NameMatcher over the shared names', () => {
  const matcher = NameMatcher.of(new CommandPolicy(new CommandTable(RECORDED_COMMAND_REPLY)).names);
  const at = (s: string): string | null => matcher.match(Buffer.from(`xx${s}`), 2, s.length);

  it('matches names with _ and -, in any case of letters', () => {
    expect(at('GET')).toBe('get');
    expect(at('gEt')).toBe('get');
    expect(at('GEORADIUS_RO')).toBe('georadius_ro');
    expect(at('restore-asking')).toBe('restore-asking');
  });

  it('does not fold _ or - into other bytes, and matches no prefix or unknown name', () => {
    expect(at('georadius\x7fro')).toBe(null);
    expect(at('restore\x0dasking')).toBe(null);
    expect(at('ge')).toBe(null);
    expect(at('gets')).toBe(null);
    expect(at('')).toBe(null);
    expect(at('select')).toBe(null);
  });
});
