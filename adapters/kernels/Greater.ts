// Greater: a bool output, so no output tangent (tfjs registers no gradient).
import { zeroDerivative } from "./_families.ts";
export const Greater = zeroDerivative;
