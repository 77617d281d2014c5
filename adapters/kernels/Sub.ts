// Sub(a, b) with broadcasting: dy = bcast(da) − bcast(db).
import { binary } from "./_families.ts";
export const Sub = binary(() => ["one", "neg"]);
