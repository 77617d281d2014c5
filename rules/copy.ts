// copy: the identity (tfjs Identity, and layers that are the identity at inference).
import { identityView } from "./_view.ts";
import type { LinearRule } from "./_types.ts";
import { identityRule } from "./_families.ts";
import { scaledIdentity } from "./_structure_util.ts";

export const copy: LinearRule<"copy"> = {
  ...identityRule(),
  ...scaledIdentity(() => 1),
  view: (eqn) => identityView(eqn.out.shape.length),
};
