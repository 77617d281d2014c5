// Kernel cases of the elementwise family.
import type { KernelCase } from "../_harness.ts";

export const CASES: KernelCase[] = [];
