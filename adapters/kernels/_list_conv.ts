// Kernel linearizations of the conv family, registered in mod.ts.
import type { KernelRule } from "./_types.ts";

export const CONV: Record<string, KernelRule> = {};
