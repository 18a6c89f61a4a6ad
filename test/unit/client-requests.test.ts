/**
 * ClientRequests and RequestReading: the one way both modes read a client's requests. Each request
 * is parsed once, in one parser configuration made from the server's table, and placed by the
 * command policy; the batchable commands are read in place, every other request's arguments are
 * kept when the reader asks for them.
 */
import { describe, expect, it } from 'vitest';
import { ClientRequests, RequestReading } from '../../src/client/requests.js';
import { CommandPolicy } from '../../src/protocol/command-policy.js';
import { REWRITTEN_COMMANDS, TRACKED_COMMANDS } from '../../src/protocol/commands.js';
import { ProtocolError } from '../../src/resp/errors.js';
import { NAME_READ_IN_PLACE, NAME_WITH_ARGUMENTS, nameFlags } from '../../src/resp/request-parser-options.js';
import { recordedReading } from '../helpers/recorded-commands.js';

const READING = recordedReading();

const mb = (...words: string[]): string =>
  `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`;

interface Read {
  text: string;
  name: string | null;
  placement: string | null;
  args: string[] | null;
  key: string | null;
}

function reader(keepArgs: boolean, lent = false) {
  const requests = new ClientRequests(READING, {}, { lent, keepArgs });
  const got: Read[] = [];
  const read = (chunk: Buffer): void =>
    requests.read(chunk, (buf, start, end) => {
      const p = requests.parser;
      const at = p.argStarts[1];
      got.push({
        text: buf.toString('latin1', start, end),
        name: p.name,
        placement: requests.placement(),
        args: p.args?.map((a) => a.toString('latin1')) ?? null,
        key:
          p.argLengths[1] < 0
            ? null
            : (p.argBuffers[1] as Buffer).toString('latin1', at, at + p.argLengths[1]),
      });
    });
  return { requests, got, read };
}

describe('RequestReading: one parser configuration for both modes', () => {
  it('names what the policy places, the tracker follows, the tunnel rewrites and smart mode batches', () => {
    const names = new Set(READING.options.names);
    for (const name of [...READING.policy.names, ...TRACKED_COMMANDS, ...REWRITTEN_COMMANDS])
      expect(names.has(name), name).toBe(true);
    expect(READING.options.readInPlace).toContain('get');
    expect(READING.options.readInPlace).toContain('hset');
    expect(READING.options.readInPlace).not.toContain('mset');
    expect(READING.options.readInPlace).not.toContain('ping');
    expect(READING.options.withArguments).toEqual(
      expect.arrayContaining(['client', 'cluster', 'hello', 'config']),
    );
    expect(READING.options.argPlaces).toBe(true);
  });

  it('gives every client’s parser the same name flags: nothing per client is made from the lists', () => {
    const a = new ClientRequests(READING, { maxBulkBytes: 10 }, { lent: true, keepArgs: false });
    const b = new ClientRequests(READING, {}, { lent: false, keepArgs: true });
    expect(nameFlags(a.reading.options)).toBe(nameFlags({ ...READING.options, keepArgs: true }));
    expect(nameFlags(b.reading.options).get('get')).toBe(NAME_READ_IN_PLACE);
    expect(nameFlags(b.reading.options).get('client')).toBe(NAME_WITH_ARGUMENTS);
  });

  it('before the table is read, it places every request on the client’s own connection but QUIT and AUTH', () => {
    const unread = new ClientRequests(RequestReading.UNREAD, {}, { lent: false, keepArgs: false });
    const placements: Array<string | null> = [];
    unread.read(Buffer.from(mb('GET', 'k') + mb('QUIT') + mb('AUTH', 'p') + '*0\r\n'), () => {
      placements.push(unread.placement());
    });
    expect(placements).toEqual(['own', 'tunnel', 'login', null]);
    expect(RequestReading.UNREAD.policy).toBeInstanceOf(CommandPolicy);
  });
});

describe('ClientRequests', () => {
  it('reads each request once: its name, its placement, its key in place, its arguments when kept', () => {
    const { got, read } = reader(true);
    read(
      Buffer.from(
        mb('GET', 'k1') +
          mb('SET', 'k2', 'v') +
          mb('MSET', 'a', '1', 'b', '2') +
          mb('CLIENT', 'SETNAME', 'x') +
          mb('BLPOP', 'q', '0') +
          mb('FOO.BAR', 'x') +
          '*0\r\n',
      ),
    );
    expect(got.map(({ name, placement, args, key }) => [name, placement, args, key])).toEqual([
      ['get', 'shared', null, 'k1'],
      ['set', 'shared-write', null, 'k2'],
      ['mset', 'shared-write', ['MSET', 'a', '1', 'b', '2'], 'a'],
      ['client', 'label', ['CLIENT', 'SETNAME', 'x'], 'SETNAME'],
      // A command the policy keeps on the client's own connection need not be named to be placed.
      [null, 'own', ['BLPOP', 'q', '0'], 'q'],
      [null, 'own', ['FOO.BAR', 'x'], 'x'],
      [null, null, [], null],
    ]);
    // BLPOP holds its connection: smart mode never batches it, so it is not read in place.
    expect(READING.options.readInPlace).not.toContain('blpop');
    expect(READING.options.names).not.toContain('blpop');
  });

  it('keeps no arguments when the reader does not ask (pinned mode), and reads names and keys the same', () => {
    const { got, read } = reader(false);
    read(Buffer.from(mb('MSET', 'a', '1') + mb('HGET', 'h', 'f')));
    expect(got.map(({ name, placement, args, key }) => [name, placement, args, key])).toEqual([
      ['mset', 'shared-write', null, 'a'],
      ['hget', 'shared', null, 'h'],
    ]);
  });

  it('joins a request cut across lent chunks from its own copy, and forgets the places of the chunk that went', () => {
    const { requests, got, read } = reader(true, true);
    const whole = mb('SET', 'key', 'value');
    const first = Buffer.from(whole.slice(0, 20)); // ends inside the key
    read(first);
    expect(requests.partialBytes).toBe(20);
    first.fill('x'); // the reused read buffer takes the next read
    read(Buffer.from(whole.slice(20) + mb('GET', 'z')));
    expect(got.map((r) => [r.text, r.name, r.key])).toEqual([
      [whole, 'set', null], // the key lay across the chunks: no place for it
      [mb('GET', 'z'), 'get', 'z'],
    ]);
    expect(requests.partialBytes).toBe(0);
  });

  it('throws ProtocolError for a request it cannot read, after the requests before it', () => {
    const { got, read } = reader(false);
    expect(() => read(Buffer.from(mb('GET', 'a') + '*1\r\n+oops\r\n'))).toThrow(ProtocolError);
    expect(got.map((r) => r.name)).toEqual(['get']);
  });
});
