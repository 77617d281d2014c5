// convert_element_type: float32 → float32 (tfjs has one float type); the identity on values.
import { identityView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { identityRule } from "./_families.ts";
import { scaledIdentity } from "./_structure_util.ts";

export const convertElementType: LinearRule<"convert_element_type"> = {
  ...identityRule(),
  ...scaledIdentity(() => 1),
  view: (eqn) => identityView(eqn.out.shape.length),
};
