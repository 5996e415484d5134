"""Selection rules screened on the forward model alone: the active-learning loop without the flow.

A medium campaign spends most of its time on the flow, yet a rule's picks here depend only on the GP. This script
replays a campaign's loop with the flow left out: it starts from the campaign's initial design, and every iteration it
refits the GP (warm, the campaign's settings, the rows in ascending order as the campaign has them), picks q pool
textures by --rule, and simulates them with the Taylor oracle. At each --score-at it fits a fresh GP on the simulations
so far and scores it on the test textures as benchmarks/forward_value.py does (NLPD overall, on single crystals and on
polycrystals, and the mean R^2), so its numbers compare with that script's for the campaigns.

Rules:
- ivr: the package's `select(..., criterion="ivr")`, seeded as the campaign seeds it: the picks must come out the
  campaign's own (`same_as_campaign` says whether the simulations so far are the campaign's first n), which checks
  the replay.
- strat: ivr one pick at a time, at most ceil(q x the pool's single-crystal share) single crystals per batch.
- mix<r>: r random pool textures first, then ivr for the rest of the batch, with the GP conditioned on the r (mix3 on
  the medium data: benchmarks/forward_value_medium.md and retrain_medium.md).
- random: q random pool textures (what random picks' campaign would simulate after the same initial design).

--objective trace makes ivr (and strat, mix<r>) reduce the summed predictive variance in data units instead of the
summed log-variances of the latents (`select(..., objective=...)`).

--rows-out FILE writes the simulated rows in the order they were picked and their properties (JSON, rewritten after
every iteration), which benchmarks/retrain.py takes in place of a run directory: a rule's picks valued by flows trained
from scratch without running its campaign. random needs no GP to pick, so it fits one only to score.

usage: PYTHONPATH=. python benchmarks/gp_loop.py runs/efficiency/medium/active-ivr-seed0 --rule strat [--to 210]
       [--score-at 60,110,160,210] [--out runs/gp_loop.jsonl] [--rows-out runs/ivr-seed0-rows.json]
(medium data, one CPU thread: about 8 min to 210 simulations with the scoring.)
"""

import argparse, json, math, os, platform

ap = argparse.ArgumentParser()
ap.add_argument("run_dir", help="an active campaign: its config, data, seed and initial design are reused")
ap.add_argument("--rule", default="ivr", help="ivr, strat, mix<r> (r random picks per batch) or random")
ap.add_argument("--objective", default="logdet", choices=("logdet", "trace"), help="ivr's objective")
ap.add_argument("--to", type=int, default=210, help="stop after this many simulations")
ap.add_argument("--score-at", default="60,110,160,210")
ap.add_argument("--explained", type=float, default=None, help="the GPs' explained share (default: the campaign's)")
ap.add_argument("--max-latent", type=int, default=None, help="the GPs' most latents (default: the campaign's)")
ap.add_argument("--out", default=None, help="append the JSON lines to this file")
ap.add_argument("--rows-out", default=None, help="write the picked rows in order to this JSON file (for retrain.py)")
a = ap.parse_args()
if a.rule not in ("ivr", "strat", "random") and not (a.rule.startswith("mix") and a.rule[3:].isdigit()):
    raise SystemExit(f"--rule must be ivr, strat, mix<r> or random, got {a.rule!r}")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np, torch  # noqa: E402 (after the thread count)

torch.set_num_threads(1)
from texture_al.evaluation import load_run, observed  # noqa: E402
from texture_al.loop import campaign_data, campaign_splits, distinct_rows, iteration_seed  # noqa: E402
from texture_al.mogp import LMCGP, select  # noqa: E402
from fresh_gp import fresh_gp, test_scores  # noqa: E402 (benchmarks/fresh_gp.py)


def stepwise(gp, m, q, exclude, seed, cfg, single, rule) -> list:
    "Positions of q picks made one at a time by ivr, after the random ones of mix<r>, within strat's quota"
    rng = np.random.default_rng(seed)
    free = np.flatnonzero(~np.isin(np.arange(len(m)), exclude))
    n_random = min(int(rule[3:]), q) if rule.startswith("mix") else 0  # mix<r> with r >= q: all random
    picks = [int(i) for i in rng.choice(free, n_random, replace=False)]
    reference = m[rng.choice(len(m), min(cfg.n_reference, len(m)), replace=False)]
    quota = math.ceil(q * single.mean()) if rule == "strat" else q
    while len(picks) < q:
        gc = gp.condition(m[picks], gp.predict_mean(m[picks])) if picks else gp  # variances only: any labels do
        banned = set(exclude) | set(picks)
        if single[picks].sum() >= quota:
            banned |= set(np.flatnonzero(single).tolist())
        picks.append(int(select(gc, m, q=1, criterion="ivr", exclude=sorted(banned), reference=reference,
                                objective=a.objective)[0]))  # fmt: skip
    return picks


def replay(run, ds) -> list:
    "The loop without the flow; one record per iteration (with the test scores at --score-at)"
    cfg = run["config"]
    cfg.explained, cfg.max_latent = a.explained or cfg.explained, a.max_latent or cfg.max_latent
    pool, _, test = campaign_splits(ds, cfg)
    cand = distinct_rows(ds.texture_vector, pool)
    m, single = ds.texture_vector[cand], np.asarray(ds.kind)[cand] == "single"
    rows = [int(r) for r in observed(run)[0][: cfg.n_init]]
    campaign_rows, gp, k, out = observed(run)[0], None, 0, []
    score_at = {int(x) for x in a.score_at.split(",")}
    while len(rows) < a.to:
        if a.rule != "random":  # random picks ignore the GP
            gp = refit(gp, cfg, ds, sorted(rows))
        exclude = np.flatnonzero(np.isin(cand, rows))
        q = min(cfg.q, a.to - len(rows))
        if a.rule in ("ivr", "random"):
            pos = select(gp, m, q=q, criterion=a.rule, exclude=exclude, seed=iteration_seed(cfg.seed, k, 3),
                         n_reference=cfg.n_reference, objective=a.objective)  # fmt: skip
        else:
            pos = stepwise(gp, m, q, exclude, iteration_seed(cfg.seed, k, 3), cfg, single, a.rule)
        rows += [int(r) for r in cand[pos]]
        ds.label(rows)
        k += 1
        same = len(campaign_rows) >= len(rows) and set(campaign_rows[: len(rows)].tolist()) == set(rows)
        rec = dict(rule=a.rule, objective=a.objective, seed=cfg.seed, explained=cfg.explained,
                   max_latent=cfg.max_latent, n=len(rows), single_share=float(single[np.isin(cand, rows)].mean()),
                   same_as_campaign=same)  # fmt: skip
        if len(rows) in score_at:
            rec.update(test_scores(fresh_gp(cfg, ds, pool, rows, ds.P[rows]), ds, test))
        out.append(rec)
        print(json.dumps(rec), flush=True)
        save_rows(run, rows, ds.P[rows])
    return out


def refit(gp, cfg, ds, fit_rows) -> LMCGP:
    "The campaign's GP step: a warm refit on the rows so far in ascending order (a cold fit the first time)"
    return LMCGP(kernel=cfg.kernel, explained=cfg.explained, max_latent=cfg.max_latent, relations=cfg.relations).fit(
        ds.texture_vector[fit_rows], ds.label(fit_rows), init=gp, iters=cfg.gp_warm_iters if gp else cfg.gp_iters,
        lr=cfg.gp_lr)  # fmt: skip


def save_rows(run, rows, P):
    """The picks so far in order, their simulated properties, and what made them (--rows-out); written whole, so a kill
    leaves the last iteration's"""
    if not a.rows_out:
        return
    rec = dict(run_dir=str(run["dir"]), rule=a.rule, objective=a.objective, seed=run["config"].seed, rows=rows,
               P=P.tolist())  # fmt: skip
    tmp = a.rows_out + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(rec, fh)
    os.replace(tmp, a.rows_out)


if __name__ == "__main__":
    print(f"device: CPU ({platform.machine()}, 1 thread); torch {torch.__version__}", flush=True)
    run = load_run(a.run_dir)
    records = replay(run, campaign_data(run["config"]))
    if a.out:
        with open(a.out, "a") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in records)
