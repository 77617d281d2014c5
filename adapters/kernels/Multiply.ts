// Multiply(a, b) with broadcasting: dy = b·da + a·db.
import { binary } from "./_families.ts";
export const Multiply = binary((a, b) => [b, a]);
