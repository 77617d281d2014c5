// Every kernel case file, in one list.
import type { KernelCase } from "../_harness.ts";
import { CASES as basic } from "./basic.ts";
import { CASES as conv } from "./conv.ts";
import { CASES as elementwise } from "./elementwise.ts";
import { CASES as matmul } from "./matmul.ts";
import { CASES as structural } from "./structural.ts";

export const ALL_CASES: KernelCase[] = [...basic, ...matmul, ...elementwise, ...structural, ...conv];
