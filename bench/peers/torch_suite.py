"""The suite's PyTorch peer (issue 15): the traced NTK K[n, m] = mean_a <J_a(x1_n), J_a(x2_m)> as a
PyTorch user computes it — per-example Jacobians by vmap(jacrev), contracted — on the suite's
workloads with the weights and inputs bench/suite/_workloads.ts wrote.

Usage: /usr/bin/python3 bench/peers/torch_suite.py JOB.json RESULT.json
Debian's torch 1.13 calls the BLAS that libblas.so.3 resolves to; with only libblas3 installed that
is the netlib reference BLAS (~2 GFLOP/s here against OpenBLAS's ~19): the result records the
library actually loaded (blas_library), and bench:suite's --peer-lib puts another first on
LD_LIBRARY_PATH.
JOB.json: {"threads": 2, "reps": 5, "once_s": 120, "budget_s": 900,
           "cells": [{"id", "kind", "dir", "N", "O"}]}
Each cell's kernel [N1, N2] is written to dir/torch.npy. Examples are taken in chunks so that at most
4 GB of Jacobian (both sides) is live; the kernel accumulates block by block.
"""
import json
import os
import sys
import time

import numpy as np

try:
    import torch
except ImportError:  # the suite skips the peer
    print(json.dumps({"error": "torch is not installed"}))
    sys.exit(3)

try:  # torch >= 2.0
    from torch.func import functional_call, jacrev, vmap
except ImportError:  # Debian's torch 1.13: functorch
    from functorch import jacrev, vmap
    from torch.nn.utils.stateless import functional_call

F = torch.nn.functional


def cnn(p, x):
    """Three 3×3 convolutions (tfjs HWIO kernels), strides 1, 2, 2 with tfjs's 'same' padding
    (stride 2 on an even size pads bottom/right only), bias, ReLU; flatten in NHWC order; dense."""
    h = x.permute(0, 3, 1, 2)
    for l, s in enumerate([1, 2, 2]):
        k = p[f"k{l}"].permute(3, 2, 0, 1)
        if s == 1:
            h = F.conv2d(h, k, p[f"b{l}"], stride=1, padding=1)
        else:
            h = F.conv2d(F.pad(h, (0, 1, 0, 1)), k, p[f"b{l}"], stride=2)
        h = torch.relu(h)
    return h.permute(0, 2, 3, 1).flatten(1) @ p["out"] + p["bout"]


def mlp(p, x):
    h = torch.relu(x @ p["w1"] + p["b1"])
    h = torch.relu(h @ p["w2"] + p["b2"])
    return h @ p["w3"] + p["b3"]


def transformer(p, x, heads=4):
    n, t, d = x.shape
    dh = d // heads

    def split(y):
        return y.reshape(n, t, heads, dh).permute(0, 2, 1, 3)

    def ln(y, g, b):
        mu = y.mean(-1, keepdim=True)
        c = y - mu
        return c * torch.rsqrt((c * c).mean(-1, keepdim=True) + 1e-5) * g + b

    q, k, v = (split(x @ p[f"w{c}"] + p[f"b{c}"]) for c in "qkv")
    a = torch.softmax(q @ k.transpose(-1, -2) / dh**0.5, dim=-1)
    o = (a @ v).permute(0, 2, 1, 3).reshape(n, t, d)
    h = ln(x + o @ p["wo"] + p["bo"], p["g1"], p["be1"])
    m = torch.relu(h @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    h2 = ln(h + m, p["g2"], p["be2"])
    return h2.mean(1) @ p["wout"] + p["bout"]


def rnn(p, x):
    h = torch.zeros(x.shape[0], p["u"].shape[0], dtype=x.dtype)
    for s in range(x.shape[1]):
        h = torch.tanh(x[:, s] @ p["w"] + h @ p["u"])
    return h @ p["out"]


MODELS = {"cnn": cnn, "mlp": mlp, "transformer": transformer, "rnn": rnn}


def load_mobilenet(d):
    """torchvision's mobilenet_v2(num_classes=5) in eval mode with the tfjs weights copied in, in
    module order (Conv2d, BatchNorm2d, Linear), transposed from tfjs's layouts."""
    import torchvision

    spec = json.load(open(os.path.join(d, "modules.json")))
    model = torchvision.models.mobilenet_v2(num_classes=5).eval()
    mods = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.Linear))]
    assert len(mods) == len(spec["modules"]), (len(mods), len(spec["modules"]))
    arr = lambda name: torch.from_numpy(np.load(os.path.join(d, name + ".npy")))
    with torch.no_grad():
        for m, s in zip(mods, spec["modules"]):
            w = [arr(f) for f in s["files"]]
            if s["kind"] == "conv":  # [kh, kw, in, out] -> [out, in, kh, kw]
                m.weight.copy_(w[0].permute(3, 2, 0, 1))
            elif s["kind"] == "depthwise":  # [kh, kw, c, 1] -> [c, 1, kh, kw]
                m.weight.copy_(w[0].permute(2, 3, 0, 1))
            elif s["kind"] == "bn":
                assert m.eps == 1e-5
                m.weight.copy_(w[0]), m.bias.copy_(w[1]), m.running_mean.copy_(w[2]), m.running_var.copy_(w[3])
            else:  # dense [in, out] -> [out, in]
                m.weight.copy_(w[0].T), m.bias.copy_(w[1])
    params = {k: v.detach() for k, v in model.named_parameters()}
    f = lambda p, x: functional_call(model, p, (x.permute(0, 3, 1, 2),))
    return f, params


def load(cell):
    d = cell["dir"]
    x1 = torch.from_numpy(np.load(os.path.join(d, "x1.npy")))
    x2 = torch.from_numpy(np.load(os.path.join(d, "x2.npy")))
    if cell["kind"] == "mobilenet":
        f, params = load_mobilenet(d)
    else:
        order = json.load(open(os.path.join(d, "order.json")))
        params = {k: torch.from_numpy(np.load(os.path.join(d, f"p_{k}.npy"))) for k in order}
        f = MODELS[cell["kind"]]
    return f, params, x1, x2


def traced_ntk(f, params, x1, x2, chunk):
    """K = mean over outputs of J1 J2ᵀ: per-example Jacobians by vmap(jacrev) in chunks of `chunk`
    examples per side, each pair of chunks contracted and written into its block of K."""
    single = lambda p, x: f(p, x.unsqueeze(0)).squeeze(0)
    jac = lambda x: vmap(jacrev(single), (None, 0))(params, x)
    k = torch.zeros(x1.shape[0], x2.shape[0])
    for i in range(0, x1.shape[0], chunk):
        j1 = jac(x1[i:i + chunk])
        for j in range(0, x2.shape[0], chunk):
            j2 = j1 if x1 is x2 and i == j else jac(x2[j:j + chunk])
            block = None
            for name in params:
                a, b = j1[name].flatten(2), j2[name].flatten(2)
                term = torch.einsum("naf,maf->nm", a, b)
                block = term if block is None else block + term
            o = j1[next(iter(params))].shape[1]
            k[i:i + chunk, j:j + chunk] = block / o
            del j2
        del j1
    return k


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def blas_line():
    for line in torch.__config__.show().splitlines():
        if "BLAS_INFO" in line:
            return ", ".join(s.split(":")[-1].strip() for s in line.split(",") if "BLAS_INFO" in s or "LAPACK_INFO" in s)
    return "unknown"


def blas_library():
    """The BLAS library this process loaded (Debian's torch calls whatever libblas.so.3 resolves
    to: the alternatives system's choice, or one on LD_LIBRARY_PATH)."""
    torch.randn(64, 64) @ torch.randn(64, 64)
    libs = {line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.split()[-1]}
    return ", ".join(sorted(libs)) or "unknown"


def matmul_gflops(n=1024, reps=5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(timed(lambda: a @ b)[0] for _ in range(reps))
    return 2 * n**3 / best / 1e9


def main(job_path, result_path):
    job = json.load(open(job_path))
    torch.set_num_threads(int(job.get("threads", 2)))
    reps, once_s, budget_s = int(job.get("reps", 5)), float(job.get("once_s", 120)), float(job.get("budget_s", 900))
    gflops = matmul_gflops()
    results = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_line(),
        "blas_library": blas_library(),
        "matmul_gflops": gflops,
        "cells": {},
    }
    for cell in job["cells"]:
        f, params, x1, x2 = load(cell)
        n_params = sum(v.numel() for v in params.values())
        per_example = cell["O"] * n_params * 4
        chunk = max(1, min(max(x1.shape[0], x2.shape[0]), int(2e9 // per_example)))  # ≤ 2 GB a side
        # The contraction alone is 2·N1·N2·O·P FLOPs: cells far beyond the budget are not run.
        predicted = 2 * x1.shape[0] * x2.shape[0] * per_example / 4 / (gflops * 1e9)
        out = {"params": n_params, "chunk": chunk, "predicted_s": predicted}
        if predicted > budget_s:
            out["skipped"] = f"predicted {predicted:.0f} s (contraction at {gflops:.0f} GFLOP/s) > budget {budget_s:.0f} s"
        else:
            try:
                first, k = timed(lambda: traced_ntk(f, params, x1, x2, chunk))
                times = [first]
                if first <= once_s:  # the first run warms up; then `reps` timed runs
                    times = [timed(lambda: traced_ntk(f, params, x1, x2, chunk))[0] for _ in range(reps)]
                else:
                    out["note"] = f"ran once: {first:.0f} s > {once_s:.0f} s"
                path = os.path.join(cell["dir"], "torch.npy")
                np.save(path, np.ascontiguousarray(k.detach().numpy(), dtype=np.float32))
                out.update({"median": float(np.median(times)) * 1e3, "min": min(times) * 1e3, "max": max(times) * 1e3,
                            "runs": len(times), "kernel": path})
            except RuntimeError as e:  # out of memory and the like
                out["error"] = str(e).splitlines()[0][:300]
        results["cells"][cell["id"]] = out
        print(json.dumps({"torch": cell["id"], "ms": out.get("median"), "note": out.get("note", out.get("skipped", out.get("error")))}), flush=True)
    json.dump(results, open(result_path, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
