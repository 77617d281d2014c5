// Kernel linearizations of the elementwise family, registered in mod.ts.
import type { KernelRule } from "./_types.ts";

export const ELEMENTWISE: Record<string, KernelRule> = {};
