// ResizeNearestNeighbor(images; size, alignCorners, halfPixelCenters): dy = dx gathered at the
// source rows, then at the source columns, with tfjs's own index rounding.
import type { KernelRule } from "./types.ts";
import type { ResizeNearestNeighborAttrs } from "@tensorflow/tfjs";
import { nearestIndices } from "./_structural_util.ts";

export const ResizeNearestNeighbor: KernelRule<ResizeNearestNeighborAttrs> = {
  linearize(k) {
    const [n, h, w, c] = k.input("images")!.shape;
    const [outH, outW] = k.attrs.size;
    const { alignCorners, halfPixelCenters } = k.attrs;
    const rowIdx = nearestIndices(h, outH, alignCorners, halfPixelCenters);
    const rows = k.emit("gather", [k.tangent("images")!], { indices: rowIdx, axis: 1 }, [n, outH, w, c]);
    const colIdx = nearestIndices(w, outW, alignCorners, halfPixelCenters);
    k.setTangent(0, k.emit("gather", [rows], { indices: colIdx, axis: 2 }, [n, outH, outW, c]));
  },
};
