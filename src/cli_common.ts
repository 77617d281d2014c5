/**
 * What the CLI's two files share: the checked commands, the method and backend names, and the
 * CLI's error (the named error of src/core/errors.ts with one plain sentence as its message). Its
 * own module so that src/cli.ts (top-level await as the entry point) and src/cli_compute.ts
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

/** The methods and backends the CLI accepts. */
export const CLI_METHODS = ["auto", "jacobian", "ntkvp", "structured"] as const;
export const CLI_BACKENDS = ["webgpu", "native", "wasm", "cpu"] as const;

/** What `deno task ntk` was asked to compute, checked. */
export interface NtkCommand {
  model?: string;
  x1?: string;
  x2?: string;
  method: (typeof CLI_METHODS)[number];
  full: boolean;
  out?: string;
  plot?: string;
  backend: (typeof CLI_BACKENDS)[number] | "auto";
  spectrum: boolean;
  block?: [number, number];
  /** Bytes. */
  budget?: number;
  /** As given, in MiB. */
  budgetText?: string;
  workers: number;
}

/** What `deno task ntk merge` was asked to join, checked. */
export interface MergeCommand {
  out: string;
  slabs: string[];
  /** A `gram --dir`: its block files are joined (mirrored below the diagonal) instead of slabs. */
  dir?: string;
}

/** What `deno task ntk gram` was asked to compute, checked. */
export interface GramCommand {
  model?: string;
  x: string;
  x2?: string;
  /** Row ranges per input: n × n blocks, or n(n+1)/2 on and above the diagonal without x2. */
  blocks: number;
  dir: string;
  /** The one block to compute (an array task's index); all when undefined. */
  only?: number;
  method: (typeof CLI_METHODS)[number];
  full: boolean;
  backend: (typeof CLI_BACKENDS)[number] | "auto";
  /** Bytes. */
  budget?: number;
}

/** What `deno task ntk regress` was asked to predict, checked. */
export interface RegressCommand {
  kTrainTrain: string;
  yTrain: string;
  kTestTrain: string;
  yTest?: string;
  /** Training time; Infinity for kernel ridge regression. */
  t: number;
  diagReg: number;
  out?: string;
}
