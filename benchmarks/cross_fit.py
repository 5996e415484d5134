"""Flow or data? Each finished campaign's flow fine-tuned on every campaign's GP: which one sets the test NLL?

Campaigns of a benchmark differ in two things at the end: the GP (from the simulations their strategy picked) and the
flow (its whole training path: initialization, the first fit, every warm refit the validation gate kept). This script
separates them. For every pair (flow of run A, GP of run B) it copies A's last flow and fine-tunes it on a synthetic
set drawn from B's last GP, the way a campaign refits it (A's warm learning rate, input noise, batch, clipping) but
without the validation gate (with the gate most refits are refused, which would hide the answer), for --epochs epochs,
and records the test NLL before and every --every epochs. If the data set the level, a flow's test NLL would move to
its GP's column level; if the flow does, each row keeps its own level whatever the GP.

It prints JSON lines (appended to <out>.jsonl, so a killed call resumes where it stopped, and several calls with
disjoint --gps can run at once), then a markdown table (<out>.md): test NLL after --epochs for every flow (rows) and
GP (columns), each row's mean over GPs, each column's mean over flows, and the spread of each.

usage: PYTHONPATH=. python benchmarks/cross_fit.py RUN_DIR ... --out benchmarks/cross_fit_medium
       [--gps RUN_DIR,...] [--epochs 30] [--every 10] [--report-only]
(medium data, one CPU thread: about a minute per pair.)
"""

import argparse, json, os, platform, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("runs", nargs="+", help="finished run directories of one dataset (GP-pipeline strategies)")
ap.add_argument("--out", required=True, help="path without extension: <out>.jsonl and <out>.md are written")
ap.add_argument("--gps", default=None, help="only these runs' GPs (comma-separated; default: every run's)")
ap.add_argument("--epochs", type=int, default=30)
ap.add_argument("--every", type=int, default=10)
ap.add_argument("--report-only", action="store_true")
a = ap.parse_args()
if a.every < 1 or a.epochs < a.every or a.epochs % a.every:
    raise SystemExit(f"--epochs ({a.epochs}) must be a positive multiple of --every ({a.every})")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np, torch  # noqa: E402 (after the thread count)

torch.set_num_threads(1)
from texture_al.cnf import FlowEnsemble, train  # noqa: E402
from texture_al.loop import campaign_data, campaign_splits, load_models, load_run  # noqa: E402
from texture_al.mogp import synthetic_set  # noqa: E402


def label(run_dir: str) -> str:
    "A run's short name with its number of simulations, e.g. active-ivr-seed0 (310)"
    m = load_run(run_dir)["metrics"]
    return f"{os.path.basename(os.path.normpath(run_dir))} ({int(m['n_obs'][-1])})"


def done_pairs(path: str) -> dict:
    "(flow, gp) -> the recorded line, from earlier calls"
    if not os.path.exists(path):
        return {}
    lines = [json.loads(s) for s in open(path) if s.strip()]
    return {(d["flow"], d["gp"]): d for d in lines if d.get("epochs") == a.epochs}


def gp_synthetic_set(gp_dir: str, ds, pool):
    "S draws per pool texture from a run's last GP (S: that run's n_draws)"
    _, gp = load_models(gp_dir)
    if gp is None:
        raise SystemExit(f"{gp_dir} saved no GP: only GP-pipeline campaigns (active, random) have one")
    return synthetic_set(gp, ds.texture_vector[pool], load_run(gp_dir)["config"].n_draws, seed=7)


def fine_tune(flow_dir: str, syn, data: tuple) -> list:
    "A's flow fine-tuned on a synthetic set; its test NLL before and every --every epochs"
    ds, pool, test = data
    cfg = load_run(flow_dir)["config"]
    flow, _ = load_models(flow_dir)
    if isinstance(flow, FlowEnsemble):
        raise SystemExit(f"{flow_dir} trained an ensemble of flows (flows > 1): this script fine-tunes single flows")
    m, P = ds.texture_vector, ds.P
    nll = [float(-flow.log_prob(m[test], P[test]).mean())]
    for k in range(a.epochs // a.every):
        train(flow, m[pool], syn, epochs=a.every, lr=cfg.warm_lr or cfg.lr, input_noise=cfg.input_noise,
              batch=cfg.batch, clip=cfg.clip, seed=k, progress=False)  # fmt: skip
        nll.append(float(-flow.log_prob(m[test], P[test]).mean()))
    return [round(v, 3) for v in nll]


def markdown(table: dict, flows: list, gps: list) -> str:
    "The matrix of final test NLLs with row and column means and their spreads"
    final = np.array([[table[(f, g)]["test_nll"][-1] for g in gps] for f in flows])
    rows, cols = final.mean(1), final.mean(0)
    command = "PYTHONPATH=. python benchmarks/cross_fit.py " + " ".join(x for x in sys.argv[1:] if x != "--report-only")
    out = [f"Test NLL after {a.epochs} epochs of fine-tuning (rows: whose flow; columns: whose GP)\n",
           f"`{command}`; device: CPU ({platform.machine()}, 1 thread); torch {torch.__version__}\n",
           "| flow \\ GP | " + " | ".join(gps) + " | row mean |", "|---" * (len(gps) + 2) + "|"]  # fmt: skip
    for f, line, mean in zip(flows, final, rows):
        start = table[(f, gps[0])]["test_nll"][0]
        out.append(f"| {f} (before: {start:.2f}) | " + " | ".join(f"{v:.2f}" for v in line) + f" | {mean:.2f} |")
    out.append("| column mean | " + " | ".join(f"{v:.2f}" for v in cols) + " | |")
    out.append("")
    out.append(f"Spread of the row means (whose flow): {np.ptp(rows):.2f} nats; of the column means (whose GP): "
               f"{np.ptp(cols):.2f} nats. Largest spread within a row: {np.ptp(final, 1).max():.2f}; within a column: "
               f"{np.ptp(final, 0).max():.2f}.")  # fmt: skip
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(f"device: CPU ({platform.machine()}, 1 thread); torch {torch.__version__}", flush=True)
    gp_dirs = a.gps.split(",") if a.gps else a.runs
    cfg0 = load_run(a.runs[0])["config"]
    ds = campaign_data(cfg0)
    pool, _, test = campaign_splits(ds, cfg0)
    jsonl = a.out + ".jsonl"
    have = done_pairs(jsonl)
    names = {d: label(d) for d in a.runs + gp_dirs}
    for g in [] if a.report_only else gp_dirs:
        todo = [f for f in a.runs if (names[f], names[g]) not in have]
        syn = gp_synthetic_set(g, ds, pool) if todo else None
        for f in todo:
            t = time.perf_counter()
            nll = fine_tune(f, syn, (ds, pool, test))
            line = dict(flow=names[f], gp=names[g], epochs=a.epochs, test_nll=nll)
            with open(jsonl, "a") as fh:
                fh.write(json.dumps(line) + "\n")
            print(json.dumps(line), f"({time.perf_counter() - t:.0f} s)", flush=True)
    have = done_pairs(jsonl)
    flows = gps = [names[d] for d in a.runs]
    missing = [(f, g) for f in flows for g in gps if (f, g) not in have]
    if missing:
        print(f"{len(missing)} pair(s) not run yet, e.g. {missing[0]}; no table")
    else:
        text = markdown(have, flows, gps)
        open(a.out + ".md", "w").write(text)
        print(text)
