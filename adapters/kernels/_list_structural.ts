// Kernel linearizations of the structural family, registered in mod.ts.
import type { KernelRule } from "./types.ts";
import { BatchToSpaceND } from "./BatchToSpaceND.ts";
import { Concat } from "./Concat.ts";
import { Cumsum } from "./Cumsum.ts";
import { DepthToSpace } from "./DepthToSpace.ts";
import { Einsum } from "./Einsum.ts";
import { GatherNd } from "./GatherNd.ts";
import { GatherV2 } from "./GatherV2.ts";
import { Max } from "./Max.ts";
import { Min } from "./Min.ts";
import { MirrorPad } from "./MirrorPad.ts";
import { Pack } from "./Pack.ts";
import { PadV2 } from "./PadV2.ts";
import { Prod } from "./Prod.ts";
import { ResizeBilinear } from "./ResizeBilinear.ts";
import { ResizeNearestNeighbor } from "./ResizeNearestNeighbor.ts";
import { Reverse } from "./Reverse.ts";
import { ScatterNd } from "./ScatterNd.ts";
import { Slice } from "./Slice.ts";
import { Softmax } from "./Softmax.ts";
import { SpaceToBatchND } from "./SpaceToBatchND.ts";
import { SplitV } from "./SplitV.ts";
import { StridedSlice } from "./StridedSlice.ts";
import { Tile } from "./Tile.ts";
import { Unpack } from "./Unpack.ts";

export const STRUCTURAL: Record<string, KernelRule> = {
  BatchToSpaceND,
  Concat,
  Cumsum,
  DepthToSpace,
  Einsum,
  GatherNd,
  GatherV2,
  Max,
  Min,
  MirrorPad,
  Pack,
  PadV2,
  Prod,
  ResizeBilinear,
  ResizeNearestNeighbor,
  Reverse,
  ScatterNd,
  Slice,
  Softmax,
  SpaceToBatchND,
  SplitV,
  StridedSlice,
  Tile,
  Unpack,
};
