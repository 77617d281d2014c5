// The NTK methods every layer test runs. A method added to the library is appended here, and
// every test in tests/layers/ loops over this list.
import type { NtkMethod } from "../../mod.ts";

export const LAYER_TEST_METHODS: readonly Exclude<NtkMethod, "auto">[] = ["jacobian", "ntkvp", "structured"];
