/**
 * The system BLAS through Deno's FFI: OpenBLAS on Linux, Accelerate on macOS. Opened only when
 * the ffi permission is already granted (asked with `Deno.permissions.querySync`, never a
 * prompt) and a library is found; otherwise {@link openBlas} returns null and nothing changes.
 * @module
 */

/** Row-major single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, op a transpose or not. */
export interface Blas {
  /** The library's path, as opened. */
  readonly path: string;
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

/** Where each system keeps a CBLAS: Debian's threaded OpenBLAS first (both cores), then the usual names. */
export const BLAS_CANDIDATES: Readonly<Record<string, readonly string[]>> = {
  linux: [
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "libopenblas.so.0",
    "libcblas.so.3",
  ],
  darwin: ["/System/Library/Frameworks/Accelerate.framework/Accelerate"],
};

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
} as const;

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

/** Whether the ffi permission is granted, without prompting. */
export function ffiGranted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

let opened: Blas | null | undefined;

/** The system BLAS, opened once; null without the ffi permission or without a library. */
export function openBlas(): Blas | null {
  if (opened !== undefined) return opened;
  opened = null;
  if (!ffiGranted()) return null;
  for (const path of BLAS_CANDIDATES[Deno.build.os] ?? []) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch {
      continue;
    }
    const f = lib.symbols.cblas_sgemm;
    opened = {
      path,
      sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
        if (m === 0 || n === 0) return;
        if (k === 0) {
          // A sum over nothing; BLAS would reject the leading dimensions of empty operands.
          if (beta !== 1) { for (let i = 0; i < m; i++) c.subarray(i * ldc, i * ldc + n).fill(0); }
          return;
        }
        f(
          ROW_MAJOR,
          transA ? TRANS : NO_TRANS,
          transB ? TRANS : NO_TRANS,
          m,
          n,
          k,
          alpha,
          a,
          lda,
          b,
          ldb,
          beta,
          c,
          ldc,
        );
      },
    };
    return opened;
  }
  return null;
}
