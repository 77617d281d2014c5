// Kernel cases of the conv family.
import type { KernelCase } from "../_harness.ts";

export const CASES: KernelCase[] = [];
