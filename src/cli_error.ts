/**
 * The CLI's error: the named error of src/core/errors.ts, with one plain sentence as its message.
 * Its own module so that src/cli.ts (top-level await as the entry point) and src/cli_compute.ts
 * (imported by it) do not import each other.
 * @module
 */
import { InvalidOptionError } from "./core/errors.ts";

/** A bad flag or flag value: `option` names the flag, `choices` what it accepts. */
export function flagError(flag: string, given: unknown, accepted: string, sentence: string): InvalidOptionError {
  const e = new InvalidOptionError(flag, given, [accepted]);
  e.message = sentence;
  return e;
}
