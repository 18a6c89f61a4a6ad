import { ProtocolError } from './errors.js';

const CR = 0x0d;
const LF = 0x0a;

/**
 * A request's count (`*n`) or argument length (`$n`), read digit by digit across chunks up to its
 * CRLF, as a node reads it (string2ll): an optional '-', then 0 alone or digits not starting with 0.
 * The bytes of a request go to a node as the client sent them, on a connection others may share: a
 * length the node would refuse (`*01`, `$-0`) must be refused here, or the node would close that
 * shared connection.
 */
export class LengthDigits {
  num = 0;
  negative = false;
  /** The CRLF was read: `num` and `negative` are the length. */
  done = false;
  private digits = 0;
  private sawCR = false;
  /** The number is a count (`*`), else an argument's length: only the error's words differ. */
  private count = true;

  /** Starts a number: a count (`*`) when `count`, else an argument's length. */
  reset(count: boolean): void {
    this.num = 0;
    this.digits = 0;
    this.negative = false;
    this.sawCR = false;
    this.done = false;
    this.count = count;
  }

  /** Reads from `start` up to the CRLF (then `done`) or the end of `buf`; returns where it stopped. */
  scan(buf: Buffer, start: number): number {
    let p = start;
    while (p < buf.length) {
      const c = buf[p++];
      if (this.sawCR) {
        if (c !== LF || this.digits === 0) throw this.refused();
        this.done = true;
        return p;
      }
      if (c >= 0x30 && c <= 0x39) {
        // A leading zero: "0" is a number, "01" and "-0" are not. Only a first digit, or one after
        // a zero, finds num still 0.
        if (this.num === 0 && (this.digits > 0 || (this.negative && c === 0x30))) throw this.refused();
        this.num = this.num * 10 + (c - 0x30);
        if (++this.digits > 15) throw this.refused();
      } else if (c === 0x2d && this.digits === 0 && !this.negative) {
        this.negative = true;
      } else if (c === CR) {
        this.sawCR = true;
      } else {
        throw this.refused();
      }
    }
    return p;
  }

  /** The length as a node refuses it, in the node's words. */
  refused(): ProtocolError {
    return new ProtocolError(
      'ERR_BAD_LENGTH',
      this.count ? 'invalid multibulk length' : 'invalid bulk length',
    );
  }
}
