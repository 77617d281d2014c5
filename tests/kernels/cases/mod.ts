// Every kernel case file, in one list.
import type { KernelCase } from "../_harness.ts";
import { CASES as basic } from "./basic.ts";
import { CASES as matmul } from "./matmul.ts";

export const ALL_CASES: KernelCase[] = [...basic, ...matmul];
