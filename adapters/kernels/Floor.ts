// Floor: piecewise constant, so no output tangent (tfjs's gradient is zeros).
import { zeroDerivative } from "./_families.ts";
export const Floor = zeroDerivative;
