"""Throughput of the Taylor oracle (texture-directions per second) next to the exact rate-independent LP
(scipy HiGHS) on the same textures, in the same process. Prints speed ratio, agreement and the device.

    python benchmarks/taylor_oracle.py [--textures 8] [--grains 250] [--lp-textures 2] [--device cpu|cuda]
"""

import argparse, platform, time
import numpy as np, torch
from texture_al.textures import candidate_pool
from texture_al.taylor import TaylorOracle, taylor_lp, taylor_uniaxial
from texture_al.cli import set_threads

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--textures", type=int, default=8)
    ap.add_argument("--grains", type=int, default=250)
    ap.add_argument("--lp-textures", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, help="CPU threads (default: $TEXTURE_AL_THREADS, else half the cores)")
    a = ap.parse_args()
    set_threads(a.threads)
    pool = candidate_pool(
        0, a.textures, grains=a.grains, seed=0, mix=(1, 0, 0)
    )  # sampled 'components' textures, 4*grains orientations
    oracle = TaylorOracle(device=a.device)
    oracle(pool.subset([0]))  # warm-up
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)
    sync()
    t = time.perf_counter()
    P = oracle(pool)
    sync()
    t_q = time.perf_counter() - t
    n_dir = 18 * len(pool)
    # LP reference on the first lp-textures textures, all 18 directions
    t = time.perf_counter()
    lp = np.array([[taylor_lp(*pool[i], d) for d in range(18)] for i in range(a.lp_textures)])
    t_lp = time.perf_counter() - t
    e0, w0 = pool[0]
    errs = []
    for i in range(a.lp_textures):
        e, w = pool[i]
        s, _, _ = taylor_uniaxial(e[None], w[None])
        errs.append(np.abs(s[0].numpy() / s[0, 0].item() - lp[i] / lp[i, 0]).max())
    name = (
        torch.cuda.get_device_name()
        if a.device.startswith("cuda")
        else f"{platform.machine()}, {torch.get_num_threads()} threads"
    )
    print(
        f"device: {a.device} ({name}); torch {torch.__version__}; {len(pool)} textures x {int(pool.sizes().mean())} "
        f"orientations"
    )
    print(f"q-norm oracle : {n_dir / t_q:9.1f} texture-directions/s  ({t_q / len(pool):.2f} s per texture)")
    print(
        f"exact LP      : {18 * a.lp_textures / t_lp:9.1f} texture-directions/s  ({t_lp / a.lp_textures:.2f} s per "
        f"texture)"
    )
    print(
        f"speed ratio   : {(n_dir / t_q) / (18 * a.lp_textures / t_lp):.1f}x; max |yield-ratio difference| vs LP = "
        f"{max(errs):.4f}"
    )
    print(
        f"paper preset extrapolation (74,890 textures at this size): {74890 * t_q / len(pool) / 3600:.1f} h on this "
        f"device"
    )
