"""Does training history alone improve a finished campaign's flow? More warm iterations on its last GP, no new data.

A campaign's flow is fine-tuned once per iteration, so a baseline run to twice the budget has also had twice the
training. This script takes a finished run's last flow and GP, and runs --k more iterations of exactly the campaign's
warm fine-tuning (a new synthetic set from the same GP each time, the run's warm epochs, learning rate, patience and
validation gate) without adding a simulation. It prints the test NLL and the round-trip p95 (the run's judge) before
and every --every iterations. If the flow kept improving, ratios measured within campaigns would flatter the longer
baseline; if it stays put, they do not.

usage: PYTHONPATH=. python benchmarks/more_training.py runs/efficiency/medium/active-ivr-seed0 [--k 60] [--every 10]
(medium data, one CPU thread: about 10 s per iteration.)

What it showed on the medium benchmark (--k 30): ivr seed 0 at 310 simulations went from 31.31 to 31.48 test NLL in
the first 10 extra iterations (its validation NLL improved once) and then did not move; random seed 1 at 620 stayed at
30.72 throughout. The round-trip p95 wandered by about a point (11.9-12.7 % and 12.3-13.1 %), which is the spread of its
own design sampling. With the validation gate, more training history alone buys nothing. Without it
(benchmarks/cross_fit.py fine-tunes at the same learning rate with no gate) 30 more epochs lower a final flow's test
NLL by 0.0 to 1.3 nats, whichever campaign's GP draws its synthetic set: a flow stays near the level its own training
path set, and that level differs by seed far more than by GP.
"""

import argparse, json, os, platform, time

ap = argparse.ArgumentParser()
ap.add_argument("run_dir")
ap.add_argument("--k", type=int, default=60, help="extra warm iterations")
ap.add_argument("--every", type=int, default=10, help="evaluate every this many iterations")
a = ap.parse_args()
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402 (after the thread count)

torch.set_num_threads(1)
from texture_al.cnf import FlowEnsemble, roundtrip, train  # noqa: E402
from texture_al.loop import campaign_data, campaign_splits, load_judge, load_models, load_run  # noqa: E402
from texture_al.mogp import synthetic_set  # noqa: E402

run = load_run(a.run_dir)
cfg = run["config"]
ds, judge = campaign_data(cfg), load_judge(cfg.judge)
pool, val, test = campaign_splits(ds, cfg)
flow, gp = load_models(a.run_dir)
if isinstance(flow, FlowEnsemble):
    raise SystemExit(f"{a.run_dir} trained an ensemble of flows (flows > 1): this script continues single flows")
if gp is None:
    raise SystemExit(f"{a.run_dir} saved no GP: only GP-pipeline campaigns (active, random) can be continued")


def report(j: int):
    "Test NLL and round-trip p95 after j extra iterations, as a JSON line"
    nll = float(-flow.log_prob(ds.texture_vector[test], ds.P[test]).mean())
    targets = ds.P[test[: cfg.roundtrip_targets]]
    rt = roundtrip(flow, (judge or gp).predict_mean, targets, cfg.roundtrip_samples, seed=10_000 + j)
    line = dict(
        run=a.run_dir,
        n=int(run["metrics"]["n_obs"][-1]),
        extra_iterations=j,
        test_nll=round(nll, 3),
        roundtrip_p95=round(rt["p95"], 2),
        recorded_test_nll=round(float(run["metrics"]["test_nll"][-1]), 3),
    )
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    print(f"device: CPU ({platform.machine()}, 1 thread); torch {torch.__version__}", flush=True)
    report(0)
    t = time.perf_counter()
    val_set = (ds.texture_vector[val], ds.P[val])
    for j in range(1, a.k + 1):
        syn = synthetic_set(gp, ds.texture_vector[pool], cfg.n_draws, seed=99_000 + j)
        train(flow, ds.texture_vector[pool], syn, val=val_set, epochs=cfg.warm_epochs or cfg.epochs,
              lr=cfg.warm_lr or cfg.lr, patience=cfg.patience, input_noise=cfg.input_noise, keep_start=cfg.keep_start,
              batch=cfg.batch, clip=cfg.clip, seed=77_000 + j, progress=False)  # fmt: skip
        if j % a.every == 0:
            report(j)
    print(f"{a.k} extra iterations in {time.perf_counter() - t:.0f} s")
