/**
 * The kernel table: one linearization per tfjs kernel name, one file each.
 * @module
 */
import type { KernelRule } from "./types.ts";
import { _FusedMatMul } from "./_FusedMatMul.ts";
import { Add } from "./Add.ts";
import { BatchMatMul } from "./BatchMatMul.ts";
import { Cast } from "./Cast.ts";
import { ExpandDims } from "./ExpandDims.ts";
import { Identity } from "./Identity.ts";
import { Mean } from "./Mean.ts";
import { Multiply } from "./Multiply.ts";
import { Neg } from "./Neg.ts";
import { RealDiv } from "./RealDiv.ts";
import { Relu } from "./Relu.ts";
import { Reshape } from "./Reshape.ts";
import { Sigmoid } from "./Sigmoid.ts";
import { Sub } from "./Sub.ts";
import { Sum } from "./Sum.ts";
import { Tanh } from "./Tanh.ts";
import { Transpose } from "./Transpose.ts";
import { CONV } from "./_list_conv.ts";
import { ELEMENTWISE } from "./_list_elementwise.ts";
import { STRUCTURAL } from "./_list_structural.ts";

export type { KernelCtx, KernelRule } from "./types.ts";

export const KERNELS: Record<string, KernelRule> = {
  _FusedMatMul,
  Add,
  BatchMatMul,
  Cast,
  ExpandDims,
  Identity,
  Mean,
  Multiply,
  Neg,
  RealDiv,
  Relu,
  Reshape,
  Sigmoid,
  Sub,
  Sum,
  Tanh,
  Transpose,
  ...ELEMENTWISE,
  ...STRUCTURAL,
  ...CONV,
};
