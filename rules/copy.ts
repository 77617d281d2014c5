// copy: the identity (tfjs Identity, and layers that are the identity at inference).
import type { LinearRule } from "./_types.ts";
import { identityRule } from "./_families.ts";

export const copy: LinearRule<"copy"> = identityRule();
