// Kernel cases of the structural family.
import type { KernelCase } from "../_harness.ts";

export const CASES: KernelCase[] = [];
