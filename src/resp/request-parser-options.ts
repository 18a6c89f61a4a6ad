/** What a RequestParser reads of each request, beyond where it ends (see RequestParser). */

/** Longest argument captured as text (longer ones read as null). */
export const CAPTURED_ARG_BYTES = 64;

export interface RequestParserOptions {
  /** Command names to recognise. */
  names: readonly string[];
  /** Of those, the commands whose second and third arguments are captured. */
  withArguments?: readonly string[];
  /** @default DEFAULT_MAX_FRAME_BYTES */
  maxFrameBytes?: number;
  /** The longest argument accepted (a node's proto-max-bulk-len). @default PROTO_MAX_BULK_LEN */
  maxBulkBytes?: number;
  /**
   * Keep every argument of the request (views of the chunk it came in), so a consumer that needs
   * them all does not read the request a second time; not of those named in `readInPlace`.
   */
  keepArgs?: boolean;
  /** Of `names`, the commands a consumer reads in place (see argPlaces): their arguments are not kept. */
  readInPlace?: readonly string[];
  /**
   * Note where the first ARG_PLACES arguments lie (argBuffers, argStarts, argLengths), so a
   * consumer reads one in place without a Buffer made per argument.
   */
  argPlaces?: boolean;
}

/** How large a request may be: the limits a parser holds requests to, as a node does. */
export type RequestSizeLimits = Pick<RequestParserOptions, 'maxFrameBytes' | 'maxBulkBytes'>;

/** How many leading arguments argPlaces notes. */
export const ARG_PLACES = 4;

/** A name's flag (see nameFlags): its second and third arguments are captured. */
export const NAME_WITH_ARGUMENTS = 1;
/** A name's flag: it is read in place, its arguments not kept. */
export const NAME_READ_IN_PLACE = 2;

const NO_NAMES: readonly string[] = [];
/** Flags made per pair of lists, so parsers made per client share one map (as their NameMatcher). */
const madeFlags = new WeakMap<readonly string[], WeakMap<readonly string[], ReadonlyMap<string, number>>>();

/** What the options say of each name, as flags: a parser looks a name up once per request. */
export function nameFlags(options: RequestParserOptions): ReadonlyMap<string, number> {
  const withArguments = options.withArguments ?? NO_NAMES;
  const readInPlace = options.readInPlace ?? NO_NAMES;
  let byInPlace = madeFlags.get(withArguments);
  if (!byInPlace) madeFlags.set(withArguments, (byInPlace = new WeakMap()));
  const made = byInPlace.get(readInPlace);
  if (made) return made;
  const flags = new Map<string, number>();
  const add = (names: readonly string[], flag: number): void =>
    names.forEach((name) => flags.set(name, (flags.get(name) ?? 0) | flag));
  add(withArguments, NAME_WITH_ARGUMENTS);
  add(readInPlace, NAME_READ_IN_PLACE);
  byInPlace.set(readInPlace, flags);
  return flags;
}
