"""The NTK as a PyTorch user computes it, for fast-ntk's report: per-example Jacobians
(vmap of jacrev) contracted, and NTK-vector products (vjp then jvp, vmapped over a basis and
over pairs of examples), on the report's cells with the same weights and inputs.

Usage: python3 bench/peers/torch_ntk.py JOB.json RESULT.json
JOB.json: {"threads": 2, "cells": [{"id", "kind": "fcn"|"cnn", "dir", "methods", "max_seconds"}]}
Each cell's dir holds the params (p_<name>.npy, plus order.json), x1.npy and x2.npy; each method's
kernel [N1, N2, O, O] is written to dir/torch_<method>.npy.
"""
import json
import os
import sys
import time

import numpy as np

try:
    import torch
except ImportError:  # the report skips the peer
    print(json.dumps({"error": "torch is not installed"}))
    sys.exit(3)

try:  # torch >= 2.0
    from torch.func import functional_call, jacrev, jvp, vjp, vmap
except ImportError:  # Debian's torch 1.13: functorch
    from functorch import jacrev, jvp, vjp, vmap
    from torch.nn.utils.stateless import functional_call  # noqa: F401


def fcn(params, x):
    """Input 3, hidden ReLU layers w0..w{L-1}, output `out`, no bias (x is [N, 3])."""
    h = x
    depth = sum(1 for k in params if k.startswith("w"))
    for l in range(depth):
        h = torch.relu(h @ params[f"w{l}"])
    return h @ params["out"]


def cnn(params, x):
    """3×3 'same' convolutions with ReLU (k0..k2, tfjs layout HWIO), spatial mean, dense `out`.
    x is NHWC as in tfjs."""
    h = x.permute(0, 3, 1, 2)
    for l in range(3):
        k = params[f"k{l}"].permute(3, 2, 0, 1)  # HWIO -> OIHW
        h = torch.relu(torch.nn.functional.conv2d(h, k, padding=1))
    return h.mean(dim=(2, 3)) @ params["out"]


MODELS = {"fcn": fcn, "cnn": cnn}


def jacobian_contraction(f, params, x1, x2):
    """K[n, m, a, b] = Σ_p J1[n, a, p] J2[m, b, p], per-example Jacobians by vmap(jacrev)."""
    single = lambda p, x: f(p, x.unsqueeze(0)).squeeze(0)
    j1 = vmap(jacrev(single), (None, 0))(params, x1)
    j2 = vmap(jacrev(single), (None, 0))(params, x2)
    k = None
    for name in params:
        a = j1[name].flatten(2)
        b = j2[name].flatten(2)
        term = torch.einsum("naf,mbf->nmab", a, b)
        k = term if k is None else k + term
    return k


def ntk_vector_products(f, params, x1, x2):
    """K[n, m] = J(x1_n) J(x2_m)ᵀ row by row: a VJP at x2_m then a JVP at x1_n per basis vector."""
    single = lambda p, x: f(p, x.unsqueeze(0)).squeeze(0)

    def pair(a, b):
        out, pull = vjp(lambda p: single(p, b), params)
        basis = torch.eye(out.numel(), dtype=out.dtype)

        def column(v):
            (cot,) = pull(v)
            _, push = jvp(lambda p: single(p, a), (params,), (cot,))
            return push

        return vmap(column)(basis).T  # [O_a, O_b]

    return vmap(vmap(pair, (None, 0)), (0, None))(x1, x2)


METHODS = {"jacobian": jacobian_contraction, "ntkvp": ntk_vector_products}


def load(cell):
    d = cell["dir"]
    order = json.load(open(os.path.join(d, "order.json")))
    params = {k: torch.from_numpy(np.load(os.path.join(d, f"p_{k}.npy"))) for k in order}
    x1 = torch.from_numpy(np.load(os.path.join(d, "x1.npy")))
    x2 = torch.from_numpy(np.load(os.path.join(d, "x2.npy")))
    return params, x1, x2


def matmul_gflops(n=512, reps=5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(timed(lambda: a @ b) for _ in range(reps))
    return 2 * n**3 / best / 1e9


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(job_path, result_path):
    job = json.load(open(job_path))
    threads = int(job.get("threads", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    results = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": "mkl" if torch.backends.mkl.is_available() else "openblas or reference",
        "matmul_gflops": matmul_gflops(),
        "cells": {},
    }
    for cell in job["cells"]:
        f = MODELS[cell["kind"]]
        params, x1, x2 = load(cell)
        out = {}
        if True:  # (torch.func transforms run their own autograd levels)
            for m in cell["methods"]:
                fn = METHODS[m]
                try:
                    first = timed(lambda: fn(f, params, x1, x2))
                    times = [first]
                    while sum(times) < min(3.0, cell.get("max_seconds", 30)) and len(times) < 4:
                        times.append(timed(lambda: fn(f, params, x1, x2)))
                    k = np.ascontiguousarray(fn(f, params, x1, x2).detach().numpy(), dtype=np.float32)
                    path = os.path.join(cell["dir"], f"torch_{m}.npy")
                    np.save(path, k)
                    runs = times[1:] if len(times) > 1 else times  # the first run warms up
                    out[m] = {"median": float(np.median(runs)) * 1e3, "min": min(runs) * 1e3, "max": max(runs) * 1e3, "kernel": path}
                except RuntimeError as e:  # out of memory and the like
                    out[m] = {"error": str(e).splitlines()[0][:200]}
        results["cells"][cell["id"]] = out
        print(json.dumps({cell["id"]: {k: v.get("median", v.get("error")) for k, v in out.items()}}), flush=True)
    json.dump(results, open(result_path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
