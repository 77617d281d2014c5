// Identity: y = x (also Dropout and other layers that are the identity at inference).
import { passThrough } from "./_families.ts";
export const Identity = passThrough("copy");
