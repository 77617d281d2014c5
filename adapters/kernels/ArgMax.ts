// ArgMax: an int32 index output, so no output tangent (tfjs's gradient is zeros).
import { zeroDerivative } from "./_families.ts";
export const ArgMax = zeroDerivative;
