// Cast: the tangent passes through, also to int32 — tfjs's own gradient does the same
// (straight-through), and the kernel tests check against it.
import { passThrough } from "./_families.ts";
export const Cast = passThrough("convert_element_type");
