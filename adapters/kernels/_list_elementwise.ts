// Kernel linearizations of the elementwise family, registered in mod.ts.
import type { KernelRule } from "./types.ts";
import { Abs } from "./Abs.ts";
import { Acos } from "./Acos.ts";
import { Acosh } from "./Acosh.ts";
import { AddN } from "./AddN.ts";
import { ArgMax } from "./ArgMax.ts";
import { ArgMin } from "./ArgMin.ts";
import { Asin } from "./Asin.ts";
import { Asinh } from "./Asinh.ts";
import { Atan } from "./Atan.ts";
import { Atan2 } from "./Atan2.ts";
import { Atanh } from "./Atanh.ts";
import { Ceil } from "./Ceil.ts";
import { ClipByValue } from "./ClipByValue.ts";
import { Cos } from "./Cos.ts";
import { Cosh } from "./Cosh.ts";
import { Elu } from "./Elu.ts";
import { Equal } from "./Equal.ts";
import { Erf } from "./Erf.ts";
import { Exp } from "./Exp.ts";
import { Expm1 } from "./Expm1.ts";
import { Floor } from "./Floor.ts";
import { FloorDiv } from "./FloorDiv.ts";
import { Greater } from "./Greater.ts";
import { GreaterEqual } from "./GreaterEqual.ts";
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
import { Maximum } from "./Maximum.ts";
import { Minimum } from "./Minimum.ts";
import { Mod } from "./ModKernel.ts";
import { NotEqual } from "./NotEqual.ts";
import { OnesLike } from "./OnesLike.ts";
import { Pow } from "./Pow.ts";
import { Prelu } from "./Prelu.ts";
import { Reciprocal } from "./Reciprocal.ts";
import { Relu6 } from "./Relu6.ts";
import { Round } from "./Round.ts";
import { Rsqrt } from "./Rsqrt.ts";
import { Select } from "./Select.ts";
import { Selu } from "./Selu.ts";
import { Sign } from "./Sign.ts";
import { Sin } from "./Sin.ts";
import { Sinh } from "./Sinh.ts";
import { Softplus } from "./Softplus.ts";
import { Sqrt } from "./Sqrt.ts";
import { Square } from "./Square.ts";
import { SquaredDifference } from "./SquaredDifference.ts";
import { Step } from "./Step.ts";
import { Tan } from "./Tan.ts";
import { ZerosLike } from "./ZerosLike.ts";

export const ELEMENTWISE: Record<string, KernelRule> = {
  Abs,
  Acos,
  Acosh,
  AddN,
  ArgMax,
  ArgMin,
  Asin,
  Asinh,
  Atan,
  Atan2,
  Atanh,
  Ceil,
  ClipByValue,
  Cos,
  Cosh,
  Elu,
  Equal,
  Erf,
  Exp,
  Expm1,
  Floor,
  FloorDiv,
  Greater,
  GreaterEqual,
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
  Maximum,
  Minimum,
  Mod,
  NotEqual,
  OnesLike,
  Pow,
  Prelu,
  Reciprocal,
  Relu6,
  Round,
  Rsqrt,
  Select,
  Selu,
  Sign,
  Sin,
  Sinh,
  Softplus,
  Sqrt,
  Square,
  SquaredDifference,
  Step,
  Tan,
  ZerosLike,
};
