"""Data efficiency: how many simulations does each baseline need to reach what an active criterion reached?

For one preset (dataset) and several seeds, this runs
- `active` campaigns with each criterion in --criteria, to --budget simulations;
- `random` picks in the same GP pipeline, to --random-factor x --budget simulations;
- the paper's `random-direct` baseline (a flow trained on random labels), to --direct-budget simulations (default:
  the whole pool) with --direct-q picks per iteration (its picks are random, so q only sets how often it is measured);
every campaign judged at every iteration by one common judge: a GP fitted once on up to --judge-obs labelled pool
textures (saved as <out>/<data>/judge.pt, reused on a second call). It then prints, per active criterion, baseline and
metric (test NLL and round-trip p95), the ratio N_baseline / N_active of the simulations each needs to reach active's
final value (trailing means over the last --window simulations, so that campaigns with different batch sizes are
smoothed alike), per seed and as median, min and max, writes efficiency.json, efficiency.md and efficiency.png next to
the runs, and shows where each stopping rule would have stopped.

Run directories persist: a second call resumes unfinished campaigns, reuses finished ones, and extends those whose
budget it raises (a larger --budget or --random-factor: they go on exactly as if started with it); --report-only skips
running. --jobs N runs N campaigns at once, one thread each.

usage: PYTHONPATH=. python benchmarks/efficiency.py --preset quick --out runs/efficiency [--seeds 0,1,2]
       [--criteria max_logdet,ivr] [--budget 101] [--random-factor 3] [--direct-budget 0] [--direct-q 25]
       [--judge-obs 1000] [--window 5q] [--jobs 1] [--strategies active,random,random-direct] [--set KEY=VALUE]
       [--report-only]
(quick preset on one CPU core: the judge about 7 min, a 101-simulation active campaign about 3 min, a random one to
303 about 10 min, random-direct to the whole pool about 10 min.) The medium preset needs its dataset first:
  texture-al data generate --preset medium --out medium.h5
  PYTHONPATH=. python benchmarks/efficiency.py --preset medium --budget 310 --direct-q 100 --jobs N
which labels 1,000 pool textures for the judge (about 15 min of Taylor oracle on one CPU core) and runs hours of
campaigns on a CPU; use a GPU machine.
"""

import argparse, json, os, platform, time
from concurrent.futures import ProcessPoolExecutor

ap = argparse.ArgumentParser()
ap.add_argument("--preset", default="quick", help="a campaign preset of texture_al.loop.PRESETS")
ap.add_argument("--dataset", default=None, help="override the preset's dataset (a shipped name or a .h5 file)")
ap.add_argument("--out", default="runs/efficiency")
ap.add_argument("--seeds", default="0,1,2")
ap.add_argument("--criteria", default="max_logdet,ivr",
                help="e.g. max_logdet,ivr,ivr:designs,ivr:both,ivr:trace (ivr's reference set and objective)")
ap.add_argument("--budget", type=int, default=101, help="simulations of each active campaign")
ap.add_argument("--random-factor", type=float, default=3.0, help="random campaigns run to this many times --budget")
ap.add_argument("--direct-budget", type=int, default=0, help="random-direct budget (0: the whole pool)")
ap.add_argument("--direct-q", type=int, default=25)
ap.add_argument("--judge-obs", type=int, default=1000)
ap.add_argument("--window", type=int, default=None,
                help="trailing mean over this many simulations before comparing (default: 5 of the preset's batches)")
ap.add_argument("--budgets", default="25,45,65", help="also the ratios with the active runs cut at these N")
ap.add_argument("--jobs", type=int, default=1)
ap.add_argument("--strategies", default="active,random,random-direct", help="which campaigns this call runs")
ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                help="a campaign setting for every run of this call (repeatable; use a new --out for other settings)")
ap.add_argument("--report-only", action="store_true")
a = ap.parse_args()
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np, torch  # noqa: E402 (after the thread count)

torch.set_num_threads(1)
from texture_al.loop import Campaign, Config, campaign_data, load_run, run_label  # noqa: E402
from texture_al.loop import IVR_REFERENCES  # noqa: E402
from texture_al.mogp import IVR_OBJECTIVE_NAMES  # noqa: E402
from texture_al.evaluation import benchmark_runs, common_judge, efficiency_markdown, efficiency_summary  # noqa: E402
from texture_al.evaluation import efficiency_verdicts, plot_efficiency  # noqa: E402
from texture_al.rundir import RunDir, save_checkpoint  # noqa: E402
from texture_al.data import save_dataset  # noqa: E402
from texture_al.cli import config_from_args  # noqa: E402


try:  # the --set parser of `texture-al run`: names checked, values read as YAML and validated
    base_cfg = config_from_args(argparse.Namespace(config=None, preset=a.preset, set=a.set, dataset=a.dataset))
except ValueError as e:
    raise SystemExit(str(e)) from None
settings = {k: getattr(base_cfg, k) for k in (kv.split("=", 1)[0].strip() for kv in a.set)}  # this call's overrides
window = a.window if a.window is not None else 5 * base_cfg.q  # 5 iterations of the active campaigns
label = os.path.splitext(os.path.basename(base_cfg.dataset))[0]
root = os.path.join(a.out, label)
os.makedirs(root, exist_ok=True)
judge_path = os.path.join(root, "judge.pt")
seeds = [int(s) for s in a.seeds.split(",")]


def criterion_settings(crit: str) -> dict:
    """The campaign settings of one --criteria entry: max_logdet, ivr, or ivr with options after colons, a reference
    set (texture_al.loop.IVR_REFERENCES) and/or an objective (texture_al.mogp.IVR_OBJECTIVE_NAMES): ivr:designs:trace"""
    name, *opts = crit.split(":")
    refs = [o for o in opts if o in IVR_REFERENCES]
    objectives = [o for o in opts if o in IVR_OBJECTIVE_NAMES]
    if opts and name != "ivr":
        raise SystemExit(f"--criteria {crit}: only ivr takes options")
    if len(refs) > 1 or len(objectives) > 1 or len(refs) + len(objectives) < len(opts):
        raise SystemExit(f"--criteria {crit}: options are at most one reference set {IVR_REFERENCES} and one objective "
                         f"{IVR_OBJECTIVE_NAMES}")  # fmt: skip
    return dict(criterion=name, ivr_reference=(refs or ["pool"])[0], ivr_objective=(objectives or ["logdet"])[0])


criteria = {c: criterion_settings(c) for c in a.criteria.split(",") if c}  # refused here, before anything runs


def device_line() -> str:
    return f"CPU ({platform.machine()}, {os.cpu_count()} cores, 1 thread per campaign); torch {torch.__version__}"


def label_judge_rows(ds):
    """A dataset file whose pool is labelled lazily (texture-al data generate without --label pool) gets labels for a
    seeded random --judge-obs of its pool textures first, saved in the file so that the campaigns look them up"""
    pool = ds.indices("pool")
    need = min(a.judge_obs, len(pool)) - int(ds.labelled[pool].sum())
    if need <= 0 or not base_cfg.dataset.endswith((".h5", ".hdf5")):
        return
    rows = np.random.default_rng(0).permutation(pool[~ds.labelled[pool]])[:need]
    print(f"labelling {len(rows)} pool textures for the judge (saved in {base_cfg.dataset})", flush=True)
    ds.label(rows, progress=True)
    save_dataset(ds, base_cfg.dataset)


def fit_judge():
    "The common judge, fitted once on the dataset's labelled pool textures and saved"
    if os.path.exists(judge_path):
        return
    ds = campaign_data(base_cfg)
    t = time.perf_counter()
    label_judge_rows(ds)
    gp, rows = common_judge(ds, [], ds.indices("pool"), n_obs=a.judge_obs, iters=60, seed=0)
    save_checkpoint(judge_path, gp.checkpoint())
    print(f"common judge: GP on {len(rows)} labelled pool textures, {time.perf_counter() - t:.0f} s", flush=True)


def plans() -> list:
    "(run directory, config overrides) of every campaign of the benchmark"
    pool = len(campaign_data(base_cfg).indices("pool"))
    direct = min(a.direct_budget or pool, pool)
    out = []
    for seed in seeds:
        for crit, crit_settings in criteria.items():
            over = dict(strategy="active", max_obs=a.budget, **crit_settings)
            out.append((f"active-{crit.replace(':', '-')}-seed{seed}", over))
        out.append((f"random-seed{seed}", dict(strategy="random", max_obs=int(round(a.random_factor * a.budget)))))
        out.append((f"random-direct-seed{seed}", dict(strategy="random-direct", max_obs=direct, q=a.direct_q)))
    out = [p for p in out if p[1]["strategy"] in a.strategies.split(",")]
    cost = {"random": 0, "random-direct": 1, "active": 2}  # the longest campaigns first
    out.sort(key=lambda p: cost[p[1]["strategy"]])
    return [(os.path.join(root, name), dict(over, seed=int(name.rsplit("seed", 1)[1]))) for name, over in out]


def check_settings(todo):
    "SystemExit when a campaign folder of this call was run with other --set values than this call's"
    for d, _ in todo:
        saved = load_run(d)["config"] if RunDir(d).exists else None
        differ = [k for k in settings if saved is not None and getattr(saved, k) != settings[k]]
        if differ:
            raise SystemExit(f"{d} was run with other {differ}: give this call its own --out")


def run_one(plan) -> str:
    "Run (or resume) one campaign to its budget; returns a line for the log"
    torch.set_num_threads(1)
    d, over = plan
    data = {"dataset": a.dataset} if a.dataset else {}
    cfg = Config.from_preset(a.preset, stop=False, judge=judge_path, **over, **data, **settings)
    t = time.perf_counter()
    before = load_run(d) if RunDir(d).exists else None
    if before is None:
        camp = Campaign(cfg, d, verbose=False)
    elif before["config"].max_obs < cfg.max_obs:  # a larger budget than before: go on from where it stopped
        camp = Campaign.resume(d, verbose=False).extend(cfg.max_obs)
    elif before["state"]["stopped"]:
        return f"{d}: done before"
    else:
        camp = Campaign.resume(d, verbose=False)
    camp.run(progress=False)
    return f"{d}: {len(camp.obs)} simulations, {time.perf_counter() - t:.0f} s"


def report():
    runs, unfinished = benchmark_runs(root)
    if unfinished:
        print(f"left out, not finished: {', '.join(unfinished)}")
    if not runs:
        raise SystemExit(f"no finished campaign in {root} to report on")
    budgets = [int(b) for b in a.budgets.split(",") if b] + [a.budget]
    summary = efficiency_summary(runs, window, budgets=budgets)
    head = (f"# Data efficiency on the {label} data ({a.preset} preset): common judge (a GP on the labelled pool), "
            f"trailing means over the last {window} simulations\n\ndevice: {device_line()}\n\n")  # fmt: skip
    note = ("\n\nA ratio r: the baseline needed r times as many simulations as the active criterion to reach the "
            "criterion's final value (\">x\": not reached within x times as many; such a seed enters the median and "
            "the range at x, so they are lower bounds). The stopping columns: the number of simulations at which each "
            "rule would have stopped each seed's campaign, with the test NLL there minus its final value "
            "(trailing means; never: not within the budget). A paired gap: within each seed pair (the same initial "
            "design, flow initialization and training seeds), the baseline's value minus the criterion's at the same "
            "number of simulations; > 0: the criterion is ahead there.")  # fmt: skip
    present = sorted({run_label(r["config"]).split("/", 1)[1] for r in runs if r["config"].strategy == "active"})
    verdicts = efficiency_verdicts(summary, budgets, criteria=present)  # every criterion run, not only this call's
    text = head + efficiency_markdown(summary) + "\n\n" + "\n".join(f"- {v}" for v in verdicts) + note
    print(text)
    with open(os.path.join(root, "efficiency.md"), "w") as fh:
        fh.write(text + "\n")
    with open(os.path.join(root, "efficiency.json"), "w") as fh:
        json.dump(dict(summary, preset=a.preset, dataset=label, device=device_line(), judge=judge_path), fh, indent=1,
                  default=float)  # fmt: skip
    figure(runs)


def figure(runs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 3, figsize=(16, 4.2))
    plot_efficiency(runs, window, axs)
    fig.suptitle(f"{label} data, {a.preset} preset, common judge, mean and min-max over seeds; {device_line()}",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(os.path.join(root, "efficiency.png"), dpi=120)


if __name__ == "__main__":
    print(f"device: {device_line()}", flush=True)
    if not a.report_only:
        fit_judge()
        todo = plans()
        check_settings(todo)
        with ProcessPoolExecutor(a.jobs) as ex:
            for line in ex.map(run_one, todo):
                print(line, flush=True)
    report()
