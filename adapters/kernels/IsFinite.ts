// IsFinite: a bool output, so no output tangent (tfjs's gradient is zeros).
import { zeroDerivative } from "./_families.ts";
export const IsFinite = zeroDerivative;
