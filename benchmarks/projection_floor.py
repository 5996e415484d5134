"""Projection floor: the oracle error that realizing a true texture's own GSH coefficients leaves.

Test textures with known orientation sets (polycrystals of 250 grains x 4 sample variants, and single crystals) keep
only their 36 coefficients m; each projector turns m back into an orientation set, the Taylor oracle simulates it, and
the relative L2 error of the 54 properties against the true texture's is printed per projector, with the ratio of the
medians and the seconds each projector took (same textures, same process):

- texture_al.realize.MaxEntProjector: maximum entropy over an adaptive dictionary, resampled to --grains grains;
- texture_al.textures.HullProjector: sparse NNLS over a fixed dictionary of --dictionary single orientations.

usage: PYTHONPATH=. python benchmarks/projection_floor.py [--poly 40] [--single 10] [--grains 500] [--threads 1]
(about 8 minutes on 2 CPU cores with the defaults)
"""

import argparse, platform, time
import numpy as np, torch
from texture_al.cli import set_threads

ap = argparse.ArgumentParser()
ap.add_argument("--poly", type=int, default=40)
ap.add_argument("--single", type=int, default=10)
ap.add_argument("--grains", type=int, default=500)
ap.add_argument("--dictionary", type=int, default=3000)
ap.add_argument("--threads", type=int, default=1, help="CPU threads (the figures in its notes ran with 1)")
ap.add_argument("--seed", type=int, default=3)
a = ap.parse_args()
set_threads(a.threads)  # refuses a count below 1, as every command-line entry point does

from texture_al.data import generate_dataset  # noqa: E402 (after the thread count)
from texture_al.realize import MaxEntProjector  # noqa: E402
from texture_al.taylor import TaylorOracle  # noqa: E402
from texture_al.textures import HullProjector  # noqa: E402

print(f"device: CPU ({platform.machine()}, {torch.get_num_threads()} threads); torch {torch.__version__}")
oracle = TaylorOracle()
sets = {}
for kind, n, frac in (("polycrystals", a.poly, 0.0), ("single crystals", a.single, 1.0)):
    if n:
        ds = generate_dataset("tiny", seed=a.seed, label=("test",), progress=False, test=n, single_fraction=frac,
                              grains=250, val=1, pool=1)  # fmt: skip
        sets[kind] = (ds.texture_vector[ds.indices("test")], ds.P[ds.indices("test")])
projectors = {
    f"maximum entropy ({a.grains} grains)": MaxEntProjector(grains=a.grains),
    f"sparse NNLS ({a.dictionary} orientations)": HullProjector(a.dictionary, seed=0),
}
medians = {}
for name, proj in projectors.items():
    for kind, (m, P) in sets.items():
        t = time.perf_counter()
        out = proj.realize(m)
        t_real = time.perf_counter() - t
        err = 100 * np.linalg.norm(oracle(out["textures"]) - P, axis=1) / np.linalg.norm(P, axis=1)
        medians[name, kind] = np.median(err)
        print(f"{name:32s} {kind:16s}: median {np.median(err):6.2f} %, p95 {np.percentile(err, 95):6.2f} %, "
              f"max {err.max():6.2f} %; {t_real / len(m):.2f} s per texture to realize")  # fmt: skip
names = list(projectors)
for kind in sets:
    r = medians[names[1], kind] / medians[names[0], kind]
    print(f"{kind}: the sparse projection's median error is {r:.1f}x the maximum-entropy one's")
