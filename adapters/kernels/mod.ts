/**
 * The kernel table: one linearization per tfjs kernel name, one file each, in one flat list
 * typed against the required kernels (./required.ts: a missing one is a compile error, an extra
 * one too until it is listed there); `kernelTable` refuses a name given twice.
 * @module
 */
import type { KernelRule } from "./types.ts";
import type { LAYER_KERNELS, OP_KERNELS } from "./required.ts";
import { _FusedMatMul } from "./_FusedMatMul.ts";
import { Abs } from "./Abs.ts";
import { Acos } from "./Acos.ts";
import { Acosh } from "./Acosh.ts";
import { Add } from "./Add.ts";
import { AddN } from "./AddN.ts";
import { ArgMax } from "./ArgMax.ts";
import { ArgMin } from "./ArgMin.ts";
import { Asin } from "./Asin.ts";
import { Asinh } from "./Asinh.ts";
import { Atan } from "./Atan.ts";
import { Atan2 } from "./Atan2.ts";
import { Atanh } from "./Atanh.ts";
import { AvgPool } from "./AvgPool.ts";
import { AvgPool3D } from "./AvgPool3D.ts";
import { BatchMatMul } from "./BatchMatMul.ts";
import { BatchToSpaceND } from "./BatchToSpaceND.ts";
import { Cast } from "./Cast.ts";
import { Ceil } from "./Ceil.ts";
import { ClipByValue } from "./ClipByValue.ts";
import { Concat } from "./Concat.ts";
import { Conv2D } from "./Conv2D.ts";
import { Conv2DBackpropInput } from "./Conv2DBackpropInput.ts";
import { Conv3D } from "./Conv3D.ts";
import { Conv3DBackpropInputV2 } from "./Conv3DBackpropInputV2.ts";
import { Cos } from "./Cos.ts";
import { Cosh } from "./Cosh.ts";
import { Cumsum } from "./Cumsum.ts";
import { DepthToSpace } from "./DepthToSpace.ts";
import { DepthwiseConv2dNative } from "./DepthwiseConv2dNative.ts";
import { Einsum } from "./Einsum.ts";
import { Elu } from "./Elu.ts";
import { Equal } from "./Equal.ts";
import { Erf } from "./Erf.ts";
import { Exp } from "./Exp.ts";
import { ExpandDims } from "./ExpandDims.ts";
import { Expm1 } from "./Expm1.ts";
import { Floor } from "./Floor.ts";
import { FloorDiv } from "./FloorDiv.ts";
import { FusedBatchNorm } from "./FusedBatchNorm.ts";
import { FusedConv2D } from "./FusedConv2D.ts";
import { FusedDepthwiseConv2D } from "./FusedDepthwiseConv2D.ts";
import { GatherNd } from "./GatherNd.ts";
import { GatherV2 } from "./GatherV2.ts";
import { Greater } from "./Greater.ts";
import { GreaterEqual } from "./GreaterEqual.ts";
import { Identity } from "./Identity.ts";
import { IsFinite } from "./IsFinite.ts";
import { IsInf } from "./IsInf.ts";
import { IsNan } from "./IsNan.ts";
import { LeakyRelu } from "./LeakyRelu.ts";
import { Less } from "./Less.ts";
import { LessEqual } from "./LessEqual.ts";
import { Log } from "./Log.ts";
import { Log1p } from "./Log1p.ts";
import { LogicalAnd } from "./LogicalAnd.ts";
import { LogicalNot } from "./LogicalNot.ts";
import { LogicalOr } from "./LogicalOr.ts";
import { Max } from "./Max.ts";
import { Maximum } from "./Maximum.ts";
import { MaxPool } from "./MaxPool.ts";
import { MaxPool3D } from "./MaxPool3D.ts";
import { Mean } from "./Mean.ts";
import { Min } from "./Min.ts";
import { Minimum } from "./Minimum.ts";
import { MirrorPad } from "./MirrorPad.ts";
import { Mod } from "./ModKernel.ts";
import { Multiply } from "./Multiply.ts";
import { Neg } from "./Neg.ts";
import { NotEqual } from "./NotEqual.ts";
import { OnesLike } from "./OnesLike.ts";
import { Pack } from "./Pack.ts";
import { PadV2 } from "./PadV2.ts";
import { Pow } from "./Pow.ts";
import { Prelu } from "./Prelu.ts";
import { Prod } from "./Prod.ts";
import { RealDiv } from "./RealDiv.ts";
import { Reciprocal } from "./Reciprocal.ts";
import { Relu } from "./Relu.ts";
import { Relu6 } from "./Relu6.ts";
import { Reshape } from "./Reshape.ts";
import { ResizeBilinear } from "./ResizeBilinear.ts";
import { ResizeNearestNeighbor } from "./ResizeNearestNeighbor.ts";
import { Reverse } from "./Reverse.ts";
import { Round } from "./Round.ts";
import { Rsqrt } from "./Rsqrt.ts";
import { ScatterNd } from "./ScatterNd.ts";
import { Select } from "./Select.ts";
import { Selu } from "./Selu.ts";
import { Sigmoid } from "./Sigmoid.ts";
import { Sign } from "./Sign.ts";
import { Sin } from "./Sin.ts";
import { Sinh } from "./Sinh.ts";
import { Slice } from "./Slice.ts";
import { Softmax } from "./Softmax.ts";
import { Softplus } from "./Softplus.ts";
import { SpaceToBatchND } from "./SpaceToBatchND.ts";
import { SplitV } from "./SplitV.ts";
import { Sqrt } from "./Sqrt.ts";
import { Square } from "./Square.ts";
import { SquaredDifference } from "./SquaredDifference.ts";
import { Step } from "./Step.ts";
import { StridedSlice } from "./StridedSlice.ts";
import { Sub } from "./Sub.ts";
import { Sum } from "./Sum.ts";
import { Tan } from "./Tan.ts";
import { Tanh } from "./Tanh.ts";
import { Tile } from "./Tile.ts";
import { Transpose } from "./Transpose.ts";
import { Unpack } from "./Unpack.ts";
import { ZerosLike } from "./ZerosLike.ts";

export type { KernelCtx, KernelRule } from "./types.ts";

/** A kernel name fast-ntk must linearize. */
export type RequiredKernel = (typeof LAYER_KERNELS)[number] | (typeof OP_KERNELS)[number];

/** Every required kernel's linearization. */
const REQUIRED: { [K in RequiredKernel]: KernelRule } = {
  Abs,
  Acos,
  Acosh,
  Add,
  AddN,
  ArgMax,
  ArgMin,
  Asin,
  Asinh,
  Atan,
  Atan2,
  Atanh,
  AvgPool,
  AvgPool3D,
  BatchMatMul,
  BatchToSpaceND,
  Cast,
  Ceil,
  ClipByValue,
  Concat,
  Conv2D,
  Conv2DBackpropInput,
  Conv3D,
  Conv3DBackpropInputV2,
  Cos,
  Cosh,
  Cumsum,
  DepthToSpace,
  DepthwiseConv2dNative,
  Einsum,
  Elu,
  Equal,
  Erf,
  Exp,
  ExpandDims,
  Expm1,
  Floor,
  FloorDiv,
  FusedBatchNorm,
  FusedConv2D,
  FusedDepthwiseConv2D,
  _FusedMatMul,
  GatherNd,
  GatherV2,
  Greater,
  GreaterEqual,
  Identity,
  IsFinite,
  IsInf,
  IsNan,
  LeakyRelu,
  Less,
  LessEqual,
  Log,
  Log1p,
  LogicalAnd,
  LogicalNot,
  LogicalOr,
  Max,
  Maximum,
  MaxPool,
  MaxPool3D,
  Mean,
  Min,
  Minimum,
  MirrorPad,
  Mod,
  Multiply,
  Neg,
  NotEqual,
  OnesLike,
  Pack,
  PadV2,
  Pow,
  Prelu,
  Prod,
  RealDiv,
  Reciprocal,
  Relu,
  Relu6,
  Reshape,
  ResizeBilinear,
  ResizeNearestNeighbor,
  Reverse,
  Round,
  Rsqrt,
  ScatterNd,
  Select,
  Selu,
  Sigmoid,
  Sign,
  Sin,
  Sinh,
  Slice,
  Softmax,
  Softplus,
  SpaceToBatchND,
  SplitV,
  Sqrt,
  Square,
  SquaredDifference,
  Step,
  StridedSlice,
  Sub,
  Sum,
  Tan,
  Tanh,
  Tile,
  Transpose,
  Unpack,
  ZerosLike,
};

/** One table from named entries; a name given twice is an error, not a silent override. */
export function kernelTable(...parts: Record<string, KernelRule>[]): Readonly<Record<string, KernelRule>> {
  const table: Record<string, KernelRule> = {};
  for (const part of parts) {
    for (const [name, rule] of Object.entries(part)) {
      if (Object.hasOwn(table, name)) throw new Error(`The kernel table lists ${name} twice`);
      table[name] = rule;
    }
  }
  return Object.freeze(table);
}

export const KERNELS: Readonly<Record<string, KernelRule>> = kernelTable(REQUIRED);
