// Kernel linearizations of the conv family, registered in mod.ts.
import type { KernelRule } from "./types.ts";
import { AvgPool } from "./AvgPool.ts";
import { AvgPool3D } from "./AvgPool3D.ts";
import { Conv2D } from "./Conv2D.ts";
import { Conv2DBackpropInput } from "./Conv2DBackpropInput.ts";
import { Conv3D } from "./Conv3D.ts";
import { Conv3DBackpropInputV2 } from "./Conv3DBackpropInputV2.ts";
import { DepthwiseConv2dNative } from "./DepthwiseConv2dNative.ts";
import { FusedBatchNorm } from "./FusedBatchNorm.ts";
import { FusedConv2D } from "./FusedConv2D.ts";
import { FusedDepthwiseConv2D } from "./FusedDepthwiseConv2D.ts";
import { MaxPool } from "./MaxPool.ts";
import { MaxPool3D } from "./MaxPool3D.ts";

export const CONV: Record<string, KernelRule> = {
  AvgPool,
  AvgPool3D,
  Conv2D,
  Conv2DBackpropInput,
  Conv3D,
  Conv3DBackpropInputV2,
  DepthwiseConv2dNative,
  FusedBatchNorm,
  FusedConv2D,
  FusedDepthwiseConv2D,
  MaxPool,
  MaxPool3D,
};
