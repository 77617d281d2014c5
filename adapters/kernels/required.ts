/**
 * The tfjs kernels fast-ntk must linearize: every differentiable kernel that tfjs-layers'
 * layers emit, and those that hand-written `tf.*` functions commonly reach. A test fails when
 * one of them lacks a linearization or a test case.
 * @module
 */

/** Kernels emitted by tfjs-layers 4.22 layers (research notes, §2.3). */
export const LAYER_KERNELS = [
  "Abs", "Add", "AvgPool", "Cast", "ClipByValue", "Concat", "Conv2D", "Conv2DBackpropInput", "Conv3D",
  "DepthwiseConv2dNative", "Elu", "Erf", "Exp", "ExpandDims", "FusedBatchNorm", "FusedConv2D", "GatherV2",
  "Greater", "Identity", "LeakyRelu", "Log", "Max", "MaxPool", "Maximum", "Mean", "Minimum", "Multiply", "Neg",
  "Pack", "PadV2", "Pow", "Prelu", "RealDiv", "Relu", "Reshape", "ResizeBilinear", "ResizeNearestNeighbor",
  "Reverse", "Selu", "Sigmoid", "Slice", "Softmax", "Softplus", "SplitV", "Sqrt", "Square", "Sub", "Sum", "Tanh",
  "Tile", "Transpose", "Unpack", "_FusedMatMul",
] as const;

/** Differentiable kernels of common `tf.*` ops beyond the layers' set. */
export const OP_KERNELS = [
  // matrix products and convolutions
  "BatchMatMul", "Einsum", "FusedDepthwiseConv2D", "Conv3DBackpropInputV2",
  // pooling
  "MaxPool3D", "AvgPool3D",
  // elementwise math
  "Rsqrt", "Reciprocal", "Log1p", "Expm1", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
  "Asinh", "Acosh", "Atanh", "Atan2", "SquaredDifference", "Relu6", "AddN", "Select", "Mod", "FloorDiv",
  // reductions and scans
  "Min", "Prod", "Cumsum",
  // shape and indexing
  "StridedSlice", "MirrorPad", "GatherNd", "ScatterNd", "DepthToSpace", "SpaceToBatchND", "BatchToSpaceND",
  // zero derivative (the tangent stops there)
  "Step", "Sign", "Floor", "Ceil", "Round", "Equal", "NotEqual", "GreaterEqual", "Less", "LessEqual",
  "ArgMax", "ArgMin", "IsNan", "IsInf", "IsFinite", "ZerosLike", "OnesLike", "LogicalAnd", "LogicalOr", "LogicalNot",
] as const;

export const REQUIRED_KERNELS: readonly string[] = [...LAYER_KERNELS, ...OP_KERNELS];
