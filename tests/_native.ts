// The native backend in the oracle tests' backend loops, where it can run (CI installs
// libopenblas0-pthread and tests/backend_test.ts fails there without it).
import { nativeAvailable } from "../src/core/native/backend.ts";

/** ["native"] where the native backend initializes (--allow-ffi and a system BLAS), else []. */
export const NATIVE_IF_PRESENT: readonly "native"[] = nativeAvailable() ? ["native"] : [];
