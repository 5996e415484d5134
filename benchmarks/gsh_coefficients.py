"""Time GSH coefficients of N orientations (default 10^6): the fast path against the dense reference
(T = a^T D^l(g) b with full real Wigner matrices) in the same process. Prints a ratio and the device.

    python benchmarks/gsh_coefficients.py [--n 1000000] [--device cpu|cuda]
"""

import argparse, platform, time
import numpy as np, torch
from texture_al.gsh import GSHBasis, euler_to_matrix, wigner_real
from texture_al.cli import set_threads


def dense_coefficients(basis, e):
    "reference: dense Wigner matrices, set-average, (2l+1) factor"
    g = euler_to_matrix(e)
    out = [torch.ones(1, dtype=torch.float64, device=e.device)]
    for b in basis.blocks:
        if b["l"] == 0:
            continue
        D = wigner_real(b["l"], g).mean(0)
        out.append((2 * b["l"] + 1) * (b["A"].T.to(e.device) @ D @ b["B"].to(e.device)).flatten())
    return torch.cat(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, help="CPU threads (default: $TEXTURE_AL_THREADS, else half the cores)")
    a = ap.parse_args()
    set_threads(a.threads)
    dev = torch.device(a.device)
    basis = GSHBasis()
    e = torch.tensor(np.random.default_rng(0).uniform(0, 1, (a.n, 3)) * [2 * np.pi, np.pi, 2 * np.pi], device=dev)
    basis.coefficients(e[:1000])  # warm-up
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    sync()
    t = time.perf_counter()
    C = basis.coefficients(e)
    sync()
    t_fast = time.perf_counter() - t
    n_ref = min(a.n, 100_000)
    sync()
    t = time.perf_counter()
    C_ref = torch.stack([dense_coefficients(basis, e[i : i + 10_000]) for i in range(0, n_ref, 10_000)])
    sync()
    t_ref = (time.perf_counter() - t) * a.n / n_ref
    C_sub = torch.stack([basis.coefficients(e[i : i + 10_000]) for i in range(0, n_ref, 10_000)])
    name = (
        torch.cuda.get_device_name(dev)
        if dev.type == "cuda"
        else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
    )
    print(f"device: {dev} ({name}); torch {torch.__version__}")
    print(f"fast path : {a.n:>9,d} orientations in {t_fast:7.2f} s  ({a.n / t_fast:,.0f} /s)")
    print(f"dense ref : {a.n:>9,d} orientations in {t_ref:7.2f} s  (timed on {n_ref:,d}, scaled)")
    print(f"speed-up  : {t_ref / t_fast:.1f}x; max |difference| = {(C_sub - C_ref).abs().max().item():.1e}")
