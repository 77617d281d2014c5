/**
 * Named errors. Each carries the kernel / layer / argument it is about, so callers can react
 * without parsing messages.
 * @module
 */
import { formatBytes } from "./format.ts";

/** A traced kernel (or several) has no linearization rule. */
export class UnsupportedKernelError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "UnsupportedKernelError";
  /** Each unsupported kernel with where it was seen. */
  readonly kernels: { kernel: string; where: string }[];
  /** Builds the one-sentence message from the fields. */
  constructor(kernels: { kernel: string; where: string }[], extra = "") {
    const list = kernels.map((k) => `"${k.kernel}"${k.where ? ` (${k.where})` : ""}`).join(", ");
    super(
      `Cannot linearize kernel${kernels.length > 1 ? "s" : ""} ${list}: no rule in adapters/kernels${extra}`,
    );
    this.kernels = kernels;
  }
}

/** A kernel attribute value that its linearization does not handle. */
export class UnsupportedAttributeError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "UnsupportedAttributeError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly kernel: string, readonly attr: string, readonly value: unknown) {
    super(`Cannot linearize kernel "${kernel}": attribute ${attr}=${JSON.stringify(value)} is not supported`);
  }
}

/**
 * A layer that the layers adapter cannot run.
 * @deprecated Never thrown: a layer runs through its tfjs kernels, and a kernel without a
 * linearization raises `UnsupportedKernelError` naming it (and the layer, in `source`). Catch that.
 */
export class UnsupportedLayerError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "UnsupportedLayerError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly layer: string, readonly className: string, reason: string) {
    super(`Cannot compute the NTK through layer "${layer}" (${className}): ${reason}`);
  }
}

/** Shapes of two arguments (or of an argument and what the model expects) disagree. */
export class ShapeMismatchError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "ShapeMismatchError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly argument: string, readonly actual: unknown, reason: string) {
    super(`Invalid ${argument}: ${reason} (got ${JSON.stringify(actual)})`);
  }
}

/** An input or parameter holds NaN or ±Infinity. */
export class NonFiniteInputError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "NonFiniteInputError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly argument: string) {
    super(`Invalid ${argument}: it contains NaN or Infinity`);
  }
}

/** A parameter or input has a dtype the NTK cannot be taken over. */
export class DTypeError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "DTypeError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly argument: string, readonly actual: string, expected: string) {
    super(`Invalid ${argument}: dtype ${actual}, expected ${expected}`);
  }
}

/** A linear rule broke its own contract (shapes, slots, structure). */
export class RuleContractError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "RuleContractError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly primitive: string, reason: string) {
    super(`Rule "${primitive}" broke its contract: ${reason}`);
  }
}

/** A method, option or argument value that is not one of the accepted choices. */
export class InvalidOptionError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "InvalidOptionError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly option: string, readonly actual: unknown, readonly choices: readonly string[]) {
    super(`Invalid ${option} ${JSON.stringify(actual)}: expected one of ${choices.map((c) => `"${c}"`).join(", ")}`);
  }
}

/**
 * A method that is declared but not available yet (or not for this program).
 * @deprecated Never thrown: every method runs on every traced program (structured derivatives
 * fall back exactly where a structure cannot be proven, and `info.structure` says so).
 */
export class MethodUnavailableError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "MethodUnavailableError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly method: string, reason: string) {
    super(`Method "${method}" is not available: ${reason}`);
  }
}

/** The function read tensor values while being traced, which would freeze data-dependent values. */
export class DataDependentTraceError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "DataDependentTraceError";
  /** Builds the one-sentence message from the fields. */
  constructor() {
    super(
      "Cannot trace f: it read parameter-dependent tensor values (dataSync/data/arraySync) while running, so the NTK would freeze them",
    );
  }
}

/** A kernel (or one block of it) that cannot be computed within the memory budget. */
export class MemoryBudgetError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "MemoryBudgetError";
  /** Builds the one-sentence message from the fields. */
  constructor(readonly needed: number, readonly budget: number, what: string) {
    super(
      `Cannot compute the NTK within the memory budget: ${what} needs about ${formatBytes(needed)} ` +
        `and the budget is ${formatBytes(budget)} (raise memoryBudget, or pick a lighter method)`,
    );
  }
}

/** WebGPU reported an error (an uncaptured device error, or a lost device) during the computation. */
export class GpuError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "GpuError";
  /** Builds the one-sentence message from the fields. */
  constructor(message: string) {
    super(`WebGPU reported an error: ${message}`);
  }
}

/**
 * Two copies of tfjs-core in one process: the user's `@tensorflow/tfjs` resolves to a different
 * tfjs-core than fast-ntk's, and the tracer would not see the kernels run through the other one.
 * Map `@tensorflow/tfjs` (and its siblings) to the versions fast-ntk's deno.json names.
 */
export class TfjsVersionError extends Error {
  /** The class name, so that messages and logs say which error. */
  override name = "TfjsVersionError";
  /** Builds the one-sentence message from the two versions. */
  constructor(readonly ours: string, readonly theirs: string) {
    super(
      `fast-ntk runs on tfjs-core ${ours} but this process also loaded tfjs-core ${theirs}: ` +
        `map "@tensorflow/tfjs" to npm:@tensorflow/tfjs@${ours} in your deno.json "imports", as fast-ntk's README says`,
    );
  }
}
