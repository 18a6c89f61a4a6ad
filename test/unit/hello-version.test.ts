/**
 * HELLO's version as a node reads it (shown against the project's cluster in
 * e2e/smart-protocol.test.ts): only "2" and "3" switch; anything else is the node's error, and
 * neither mode may switch the client's protocol for it.
 */
import { describe, expect, it } from 'vitest';
import { classify, helloVersion } from '../../src/protocol/commands.js';
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
});
