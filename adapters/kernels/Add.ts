// Add(a, b) with broadcasting: dy = bcast(da) + bcast(db).
import { binary } from "./_families.ts";
export const Add = binary(() => ["one", "one"]);
