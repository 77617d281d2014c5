// Exp: dy = y · dx.
import { unary } from "./_families.ts";
export const Exp = unary((_x, y) => y);
