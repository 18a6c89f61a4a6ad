/**
 * HELLO's version as a node reads it (shown against the project's cluster in
 * e2e/smart-protocol.test.ts): only "2" and "3" switch; anything else is the node's error, and
 * neither mode may switch the client's protocol for it.
 */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/protocol/commands.js';
import { helloAuth, helloOnlyNames, helloVersion } from '../../src/protocol/hello.js';
import { helloWithoutAuth } from '../../src/protocol/local-auth.js';
import { sharedStep } from '../../src/protocol/shared-steps.js';
import { encodeCommand } from '../../src/resp/encode.js';

describe("HELLO's version", () => {
  it('is 2 or 3 only for exactly that digit', () => {
    expect(['2', '3', '03', '+3', '3.0', ' 3', '', 'x', '4', null].map(helloVersion)).toEqual([
      2, 3, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('a version the node refuses changes no protocol: the tracker and the shared lane agree', () => {
    expect(classify(2, 'hello', '03', null)).toMatchObject({ kind: 'hello', version: 0 });
    expect(classify(2, 'hello', '3', null)).toMatchObject({ kind: 'hello', version: 3 });
    expect(sharedStep('hello', encodeCommand(['HELLO', '03']), 2)).not.toMatchObject({ step: 'protocol' });
    expect(sharedStep('hello', encodeCommand(['HELLO', '3']), 2)).toEqual({ step: 'protocol', protocol: 3 });
  });

  const b = (...words: string[]): Buffer[] => words.map((w) => Buffer.from(w));

  it("options walked as a node walks them: a name that is the word 'auth' is a name", () => {
    expect(helloAuth(b('HELLO', '3', 'AUTH', 'u', 'p'))).toEqual({
      user: Buffer.from('u'),
      password: Buffer.from('p'),
    });
    expect(helloAuth(b('HELLO', '3', 'SETNAME', 'auth', 'u', 'p'))).toBeNull();
    expect(helloAuth(b('HELLO', '3', 'FOO', 'AUTH', 'u', 'p'))).toBeNull();
    expect(helloWithoutAuth(b('HELLO', '3', 'SETNAME', 'auth', 'x')).toString()).toBe(
      '*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$7\r\nSETNAME\r\n$4\r\nauth\r\n$1\r\nx\r\n',
    );
    expect(helloWithoutAuth(b('HELLO', '3', 'AUTH', 'u', 'p', 'SETNAME', 'n')).toString()).toBe(
      '*4\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$7\r\nSETNAME\r\n$1\r\nn\r\n',
    );
  });

  it('only good names keep a pinned client on a shared connection', () => {
    expect(
      [
        b('HELLO', '3'),
        b('HELLO', '3', 'SETNAME', 'a'),
        b('HELLO', '3', 'setname', ''),
        b('HELLO', '3', 'SETNAME', 'a b'),
        b('HELLO', '3', 'SETNAME'),
        b('HELLO', '3', 'SETNAME', 'a', 'FOO'),
      ].map(helloOnlyNames),
    ).toEqual([true, true, true, false, false, false]);
  });
});
