"""Learning curves to many observations: does the GP pipeline's flow keep improving as simulations grow?

Runs quick-preset campaigns (random and active strategies, several seeds) to --max-obs simulations in two settings and
prints test NLL and the round-trip p95 (mean +- sd over seeds) at fixed numbers of simulations, with the largest rise
of the mean test NLL after its minimum:

- `before`: warm-started flows trained at the full learning rate, early stopping that always keeps the first epoch
  (keep_start=False, warm_lr=None, warm_epochs=4: the quick preset before the validation gate);
- `after`: the quick preset as it is (warm refits at lr 1e-3 for 10 epochs, never kept when worse on validation).

Run directories persist under --out: a second call resumes unfinished campaigns and reuses finished ones.
usage: PYTHONPATH=. python benchmarks/learning_curves.py --out runs/curves [--dataset quick]
       [--strategies random,active] [--seeds 0,1,2] [--settings before,after] [--max-obs 301] [--threads 1]
(one 301-simulation campaign takes 4-10 minutes on one CPU core)
"""

import argparse, glob, os, platform, time
import numpy as np, torch

ap = argparse.ArgumentParser()
ap.add_argument("--out", default="runs/curves")
ap.add_argument("--dataset", default="quick", help="a shipped example name or a labelled .h5 dataset")
ap.add_argument("--strategies", default="random,active")
ap.add_argument("--seeds", default="0,1,2")
ap.add_argument("--settings", default="before,after")
ap.add_argument("--max-obs", type=int, default=301)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--report-only", action="store_true", help="only summarize the run directories under --out")
a = ap.parse_args()
torch.set_num_threads(a.threads)

from texture_al.loop import Campaign, Config, curves, load_run  # noqa: E402 (after the thread count)
from texture_al.rundir import RunDir  # noqa: E402

SETTINGS = {"before": dict(keep_start=False, warm_lr=None, warm_epochs=4), "after": {}}
label = os.path.splitext(os.path.basename(a.dataset))[0]
print(f"device: CPU ({platform.machine()}, {torch.get_num_threads()} threads); torch {torch.__version__}; data {label}")
for setting in [] if a.report_only else a.settings.split(","):
    for strategy in a.strategies.split(","):
        for seed in [int(s) for s in a.seeds.split(",")]:
            d = os.path.join(a.out, label, setting, f"{strategy}-seed{seed}")
            if RunDir(d).exists and load_run(d)["state"]["stopped"]:
                continue
            cfg = Config.from_preset("quick", strategy=strategy, seed=seed, dataset=a.dataset, max_obs=a.max_obs,
                                     **SETTINGS[setting])  # fmt: skip
            t = time.perf_counter()
            camp = Campaign(cfg, d, verbose=False) if not RunDir(d).exists else Campaign.resume(d, verbose=False)
            camp.run(progress=False)
            print(f"{d}: {time.perf_counter() - t:.0f} s", flush=True)

at = [25, 45, 65, 101, 151, 201, 251, 301]
for setting in a.settings.split(","):
    runs = [load_run(d) for d in sorted(glob.glob(os.path.join(a.out, label, setting, "*")))]
    if not runs:
        continue
    for metric in ("test_nll", "roundtrip_p95"):
        for lab, c in curves(runs, metric).items():
            cells = [f"{c['mean'][c['n'] == n][0]:6.2f} ± {c['sd'][c['n'] == n][0]:4.2f}" if n in c["n"] else " " * 13
                     for n in at]  # fmt: skip
            rise = float(np.max(c["mean"][np.argmin(c["mean"]):]) - np.min(c["mean"]))
            print(f"{label:8s} {setting:6s} {lab:18s} {metric:13s} " + " ".join(cells)
                  + f" | rise after the minimum {rise:5.2f} ({len(c['seeds'])} seeds)")
print("columns: N = " + ", ".join(map(str, at)))
