// Kernel linearizations of the structural family, registered in mod.ts.
import type { KernelRule } from "./_types.ts";

export const STRUCTURAL: Record<string, KernelRule> = {};
