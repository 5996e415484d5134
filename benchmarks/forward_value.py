"""What the picked simulations are worth to the forward model alone: a fresh GP on each run's first n simulations.

The efficiency benchmark compares strategies by the flow's test NLL and round trip, which sit downstream of the GP,
its synthetic set and a flow whose fine-tuning is gated on a 50-texture validation set. This script isolates the first
stage: for each run directory and each n (an iteration boundary of that run) it fits a fresh GP with the run's settings
on the run's first n simulations and scores it on the run's test textures: the negative log predictive density per
texture (NLPD, the full 54x54 predictive covariance, data units; also its means over the single crystals and over
the polycrystals) and the mean R^2 of the yield stresses and of the strain increments. --explained and --max-latent
refit the same simulations with another number of latent GPs, --relations off with the plain residual (the GP as it
was before it found the properties' exact linear relations, nbs/04_mogp.ipynb). Then, per criterion and cut, the ratio
of simulations random picks need to reach the criterion's NLPD and its R^2 deficit (1 - the mean of the two R^2), by
`texture_al.evaluation.efficiency_ratio` on these curves.

usage: PYTHONPATH=. python benchmarks/forward_value.py runs/efficiency/medium [--active-n 65,110,160,210,260,310]
       [--random-n 65,90,...] [--iters 100] [--explained 0.999 --max-latent 54] [--relations off]
       [--out forward_value.json]
(medium data, one CPU thread: about 20 s per fit at n = 310, about 2 min at n = 620.) The scores are saved in the JSON
file as they come, each with a fingerprint of the simulations it was fitted on; a second call reuses those of the same
run, n, simulations and GP settings, so it only fits what is new (a campaign extended since, a run added).
"""

import argparse, hashlib, json, os, platform, time

ap = argparse.ArgumentParser()
ap.add_argument("root", help="a benchmark folder of run directories (benchmarks/efficiency.py --out .../<data>)")
ap.add_argument("--active-n", default="65,110,160,210,260,310")
ap.add_argument("--random-n", default="65,90,110,135,160,185,210,235,260,285,310,340,370,400,430,465,500,540,580,620")
ap.add_argument("--iters", type=int, default=None, help="GP optimizer steps (default: the runs' gp_iters)")
ap.add_argument("--explained", type=float, default=None,
                help="share of the output variance the latent GPs carry (default: the runs' setting)")
ap.add_argument("--max-latent", type=int, default=None, help="most latent GPs (default: the runs' setting)")
ap.add_argument("--relations", choices=("on", "off"), default=None,
                help="whether the GPs find exact linear relations among the properties (default: the runs' setting)")
ap.add_argument("--out", default=None, help="JSON file of the results (default: <root>/forward_value.json)")
a = ap.parse_args()
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np, torch  # noqa: E402 (after the thread count)

torch.set_num_threads(1)
from texture_al.evaluation import benchmark_runs, efficiency_ratio, observed  # noqa: E402
from texture_al.loop import campaign_data, campaign_splits, run_label  # noqa: E402
from fresh_gp import fresh_gp, test_scores  # noqa: E402 (benchmarks/fresh_gp.py)


def forward_scores(run, ds, n) -> dict:
    "NLPD and R^2 of a fresh GP (the run's settings) on the run's first n simulations, on the run's test textures"
    cfg = run["config"]
    pool, _, test = campaign_splits(ds, cfg)
    rows, P = observed(run)
    setting = gp_setting(cfg)
    gp = fresh_gp(cfg, ds, pool, rows[:n], P[:n], iters=setting["iters"], explained=setting["explained"],
                  max_latent=setting["max_latent"], relations=setting["relations"])  # fmt: skip
    return test_scores(gp, ds, test)


def digest(run, n: int) -> str:
    "A fingerprint of the run's first n simulated rows: a saved score is reused only for the same simulations"
    rows = np.sort(np.asarray(observed(run)[0][:n], dtype=np.int64))  # which simulations, in any order
    return hashlib.sha256(rows.tobytes()).hexdigest()[:16]


GP_SETTINGS = ("iters", "explained", "max_latent", "relations")


def gp_setting(cfg) -> dict:
    "The fresh GP's settings that change its scores: the command line's, else the run's"
    runs = dict(iters=cfg.gp_iters, explained=cfg.explained, max_latent=cfg.max_latent, relations=cfg.relations)
    asked = dict(iters=a.iters, explained=a.explained, max_latent=a.max_latent,
                 relations={"on": True, "off": False, None: None}[a.relations])  # fmt: skip
    return {k: runs[k] if asked[k] is None else asked[k] for k in GP_SETTINGS}


def score_points(run, ds, ns, saved: dict) -> list:
    "The run's forward scores at each n of ns that is one of its iteration boundaries (saved ones reused)"
    have = set(run["metrics"]["n_obs"].astype(int).tolist())
    label, seed, points = run_label(run["config"]), run["config"].seed, []
    for n in [n for n in ns if n in have]:
        gp_settings = gp_setting(run["config"])
        key = (label, seed, n, digest(run, n), *gp_settings.values())
        if key not in saved:
            t = time.perf_counter()
            saved[key] = dict(label=label, seed=seed, n=n, rows=key[3], **gp_settings, **forward_scores(run, ds, n))
            print(json.dumps(dict(saved[key], seconds=round(time.perf_counter() - t, 1))), flush=True)
        points.append(saved[key])
    return points


def as_runs(runs, points) -> dict:
    "The scores as `load_run`-like dicts (metrics: n_obs, nlpd, r2_deficit), grouped by strategy label"
    out = {}
    for r, pts in zip(runs, points):
        met = {k: np.array([p[k] for p in pts], float) for k in ("nlpd", "r2_sigma", "r2_delta")}
        met.update(n_obs=np.array([p["n"] for p in pts], float), r2_deficit=1 - (met["r2_sigma"] + met["r2_delta"]) / 2)
        out.setdefault(run_label(r["config"]), []).append(dict(r, metrics=met))
    return out


def ratio_cell(e: dict) -> str:
    "median (min-max) over seed pairs (* some seed never got there: its lower bound counted); on seed means"
    vals = [p["ratio"] if p["ratio"] is not None else p["lower_bound"] for p in e["pairs"]]
    star = "*" if e["reached"] < e["of"] else ""
    pooled = f"{e['pooled']:.2f}" if e["pooled"] is not None else f">{e['pooled_lower_bound']:.2f}"
    return f"{e['median']:.2f} ({min(vals):.2f}-{max(vals):.2f}){star}; means {pooled}"


def table(groups: dict, cuts) -> str:
    "Per criterion and cut: its mean NLPD and R^2, and the ratios random picks need on each"
    lines = ["| criterion, N | GP test NLPD | mean R^2 | random needs (NLPD) | random needs (R^2) |",
             "|---|---|---|---|---|"]  # fmt: skip
    for lab in sorted(k for k in groups if k.startswith("active/")):
        for n in cuts:
            cut = [dict(r, metrics={k: v[r["metrics"]["n_obs"] <= n] for k, v in r["metrics"].items()})
                   for r in groups[lab]]  # fmt: skip
            if not all(len(r["metrics"]["n_obs"]) and r["metrics"]["n_obs"][-1] == n for r in cut):
                continue
            e, e2 = [efficiency_ratio(cut, groups["random"], m) for m in ("nlpd", "r2_deficit")]
            nlpd = np.mean([p["target"] for p in e["pairs"]])
            r2 = 1 - np.mean([p["target"] for p in e2["pairs"]])
            lines.append(f"| {lab}, {n} | {nlpd:.1f} | {r2:.3f} | {ratio_cell(e)} | {ratio_cell(e2)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"device: CPU ({platform.machine()}, 1 thread); torch {torch.__version__}", flush=True)
    runs, unfinished = benchmark_runs(a.root)
    if unfinished:
        print(f"left out, not finished: {', '.join(unfinished)}")
    runs = [r for r in runs if r["config"].strategy in ("active", "random")]
    ns = {"random": [int(x) for x in a.random_n.split(",")], "active": [int(x) for x in a.active_n.split(",")]}
    out = a.out or os.path.join(a.root, "forward_value.json")
    earlier = json.load(open(out)) if os.path.exists(out) else []
    earlier = [p for p in earlier if all(k in p for k in GP_SETTINGS)]  # a file from before a setting was kept: refit
    saved = {(p["label"], p["seed"], p["n"], p["rows"], *(p[k] for k in GP_SETTINGS)): p for p in earlier}
    ds, points = campaign_data(runs[0]["config"]), []
    for r in runs:
        points.append(score_points(r, ds, ns[r["config"].strategy], saved))
        with open(out, "w") as fh:
            json.dump(list(saved.values()), fh, indent=1)
    print("\n" + table(as_runs(runs, points), ns["active"]))
