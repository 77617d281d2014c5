// convert_element_type: float32 → float32 (tfjs has one float type); the identity on values.
import type { LinearRule } from "./_types.ts";
import { identityRule } from "./_families.ts";

export const convertElementType: LinearRule<"convert_element_type"> = identityRule();
