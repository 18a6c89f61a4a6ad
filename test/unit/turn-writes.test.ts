/**
 * A node connection's writes per turn of the event loop: a lone request goes at the turn's end,
 * the requests of several clients wait one turn more so that those sent meanwhile join them.
 */
import { describe, expect, it } from 'vitest';
import { type CopiedRequests, TurnWrites } from '../../src/upstream/turn-writes.js';

/** Resolves after `n` turns of the event loop (each setImmediate runs in the turn after). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function recorder(): { writes: string[]; turnWrites: TurnWrites } {
  const writes: string[] = [];
  return { writes, turnWrites: new TurnWrites((out) => writes.push(out.toString())) };
}

describe('writes per turn', () => {
  it('a lone request is written at the end of its turn', async () => {
    const { writes, turnWrites } = recorder();
    turnWrites.add(Buffer.from('a'), true);
    expect(writes).toEqual([]);
    await turns(1);
    expect(writes).toEqual(['a']);
  });

  it("two clients' requests wait one turn more, and what comes in that turn joins the same write", async () => {
    const { writes, turnWrites } = recorder();
    turnWrites.add(Buffer.from('a'), true);
    turnWrites.add(Buffer.from('b'), true);
    await turns(1);
    expect(writes).toEqual([]);
    turnWrites.add(Buffer.from('c'), true);
    await turns(1);
    expect(writes).toEqual(['abc']);
    // The next turn starts over: a lone request goes at its end.
    turnWrites.add(Buffer.from('d'), true);
    await turns(1);
    expect(writes).toEqual(['abc', 'd']);
  });

  it('requests added before the connection opens wait for flush, then go as one write', async () => {
    const { writes, turnWrites } = recorder();
    turnWrites.add(Buffer.from('a'), false);
    turnWrites.add(Buffer.from('b'), false);
    await turns(2);
    expect(writes).toEqual([]);
    turnWrites.flush();
    expect(writes).toEqual(['ab']);
  });

  it('requests copied in when written (a run of a client read) join the write in their place', async () => {
    const { writes, turnWrites } = recorder();
    const read = Buffer.from('xxBByyCC');
    const placed: number[] = [];
    const run: CopiedRequests = {
      byteLength: 4,
      copyTo: (out, at) => {
        placed.push(at);
        read.copy(out, at, 2, 4);
        read.copy(out, at + 2, 6, 8);
      },
    };
    turnWrites.add(Buffer.from('a'), true);
    turnWrites.add(run, true);
    turnWrites.add(Buffer.from('d'), true);
    await turns(2);
    expect([writes, placed]).toEqual([['aBBCCd'], [1]]);
    // A run alone is copied too: its bytes are not one buffer.
    turnWrites.add(run, true);
    await turns(1);
    expect([writes, placed]).toEqual([
      ['aBBCCd', 'BBCC'],
      [1, 0],
    ]);
  });
});
