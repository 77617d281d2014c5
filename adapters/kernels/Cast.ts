// Cast: to float32 the tangent passes through; to int or bool the derivative is zero.
import type { KernelRule } from "./_types.ts";
import { passThrough, zeroDerivative } from "./_families.ts";

const toFloat = passThrough("convert_element_type");
export const Cast: KernelRule = {
  linearize: (k) => (k.attrs.dtype === "float32" ? toFloat : zeroDerivative).linearize(k),
};
