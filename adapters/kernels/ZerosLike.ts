// ZerosLike: a constant output, so no output tangent (tfjs's gradient is zeros).
import { zeroDerivative } from "./_families.ts";
export const ZerosLike = zeroDerivative;
