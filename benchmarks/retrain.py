"""Label sets retrained with one recipe: what the simulations a strategy picked are worth, apart from training history.

A campaign's flow is warm-started every iteration, so at N simulations it has been trained for N/q iterations' worth of
epochs: a baseline that runs to twice the budget also gets twice the flow training. This script takes the first n
simulations of each run (n at an iteration boundary), fits a fresh GP on them with the run's settings, draws the
synthetic set over the pool, and trains a fresh flow with one fixed recipe for every run: --lr-epochs epochs at the
run's lr, then up to --epochs at --lr2 with early stopping on the validation set (patience --patience). It prints the
test NLL and the round-trip p95 (judged by the run's judge) per run and n, as JSON lines, and a table of means over
the runs of each strategy. With several --seed values (one flow each, one fresh GP for all) it also scores the
equally weighted mixture of those flows (texture_al.cnf.FlowEnsemble), recorded with flow_seed "ensemble". --logp-out
saves every flow's log-density of each test texture, from which --logp-report computes the mixture of every subset of
a point's flows (how much a k-flow ensemble depends on its members) and random picks' mixture minus each rule's (ivr,
mix<r>, ...) per test texture (the difference with its standard errors over the test set and over the flows).

A JSON file written by benchmarks/gp_loop.py --rows-out stands in for a run directory: the rows a rule picked in the
flow-free replay of a campaign, with that campaign's settings (labelled replay/<rule>, replay/<rule>-trace); any n at an
iteration boundary of the replay (n_init + k q) can be scored.

usage: PYTHONPATH=. python benchmarks/retrain.py --n 310 runs/efficiency/medium/active-ivr-seed0 ...
       [--epochs 150] [--lr-epochs 10] [--lr2 1e-3] [--patience 10] [--schedule cosine]
       [--explained 0.999 --max-latent 54] [--relations off] [--judge-floor] [--seed 0,1] [--out retrain.json]
       [--logp-out logp.npz]
       PYTHONPATH=. python benchmarks/retrain.py --report retrain.json ...   (the tables of earlier results)
       PYTHONPATH=. python benchmarks/retrain.py --logp-report logp.npz ...   (mixtures of every subset of the flows)
(medium data, one CPU thread: about 4 min per (run, n) at n = 310, 8 min at n = 620.)

What it showed on the medium benchmark (one flow seed per point, 150 epochs): the fresh flows stay about 2 nats of test
NLL above the campaigns' warm-started ones at the same n, and a point's own noise is about a nat (random seed 2: 34.07
at n = 310, 35.03 at n = 465), too much to read ratios off a few points. It needs more epochs or several flow seeds
per point (a GPU) before it can rank strategies.

What it showed about the GP's latents (same recipe; benchmarks/forward_value_medium.md): on the judge GP (--judge-floor,
1,000 labelled pool textures) the flow reaches 32.62 with the campaigns' GP (explained 0.99, at most 24 latents) and
31.54 with --explained 0.999 --max-latent 54. With the latter, ivr's first 310 simulations gave 31.46 and 31.48 (seeds
0, 1), random picks' first 310 gave 33.89 and 33.63 (seeds 2, 1) and their first 620 32.22 (seed 1).

With three flow seeds (--seed 0,1,2) on replayed picks (benchmarks/retrain_medium.json, the three seed pairs): two
flows trained by this recipe on the same GP differed by up to 2.9 nats of test NLL, as much as the picks' effect, and
the mixture of a set's three flows was about 4 nats below its members' mean. Two more (--seed 3,4, records in
benchmarks/retrain_medium_more.json) for ivr at 310 and random picks at 310 and 620: on the 5-flow mixtures
(--logp-report) random picks' 310 trailed ivr's 310 by 0.58 to 0.86 nats and their 620 led it by 0.31 to 0.78, in every
pair, each beyond the test set's standard error (about 0.2) but within two of the flows' jackknife (0.4 to 0.8). See
the README's "The picks valued by fresh flows" and benchmarks/retrain_medium.md.

The cosine recipe (--schedule cosine --epochs 100, as the paper preset trains but on the medium pool) did worse than
the two stages on the same picks (seed pair 2's ivr and random campaigns run with --set lr_schedule=cosine, their
first 310 simulations, flow seeds 0-2): ivr 32.69, 33.98, 34.27 against 32.36, 31.12, 30.70, random picks 34.85, 34.67,
35.93 against 34.17, 32.45, 32.71. On a pool of 5,000 textures the flow learns the pool by heart without early stopping;
the schedule pays at paper scale (benchmarks/batch_size.py), not here.

Whether the training history matters at all is what benchmarks/more_training.py checks: more warm iterations without
new data did not move the final flows of ivr seed 0 (310 simulations) or random seed 1 (620) on the medium benchmark,
so the longer baseline's extra training is not what the in-campaign ratios measure; benchmarks/forward_value.py values
the picks by a fresh GP alone.
"""

import argparse, collections, itertools, json, os, platform, time

ap = argparse.ArgumentParser()
ap.add_argument("run_dirs", nargs="*", help="run directories or gp_loop.py --rows-out files")
ap.add_argument("--n", default="310", help="comma-separated numbers of simulations (iteration boundaries)")
ap.add_argument("--epochs", type=int, default=150)
ap.add_argument("--lr-epochs", type=int, default=10)
ap.add_argument("--lr2", type=float, default=1e-3)
ap.add_argument("--patience", type=int, default=10)
ap.add_argument("--schedule", default="constant",
                help="constant (the two stages), or cosine: instead, --epochs epochs at the run's lr annealed to 0 "
                     "(no early stopping), as the paper preset trains")
ap.add_argument("--seed", default=[0], type=lambda s: [int(x) for x in s.split(",")],
                help="the flows' seeds, comma-separated integers (one fresh GP serves them all)")
ap.add_argument("--explained", type=float, default=None,
                help="share of the output variance the latent GPs carry (default: the runs' setting)")
ap.add_argument("--max-latent", type=int, default=None, help="most latent GPs (default: the runs' setting)")
ap.add_argument("--relations", choices=("on", "off"), default=None,
                help="whether the fresh GPs find exact linear relations among the properties (default: the runs' "
                     "setting; off: the residual as it was before nbs/04_mogp.ipynb's \"Exact relations\")")
ap.add_argument("--judge-floor", action="store_true",
                help="first train the recipe on the judge GP's own synthetic set (--n 0: only that)")
ap.add_argument("--out", default=None, help="also write the results to this JSON file")
ap.add_argument("--logp-out", default=None, metavar="NPZ",
                help="also save every flow's log-density of each test texture to this .npz (rewritten after each flow)")
ap.add_argument("--report", nargs="+", default=None, metavar="JSON",
                help="train nothing: print the tables of these earlier --out files together")
ap.add_argument("--logp-report", nargs="+", default=None, metavar="NPZ",
                help="train nothing: the mixtures of every subset of the flows in these --logp-out files, and the "
                     "paired test-set difference of random picks' and each rule's mixtures")
a = ap.parse_args()
if sum(map(bool, (a.run_dirs, a.report, a.logp_report))) != 1:
    ap.error("give run directories (or --rows-out files) to score, or --report / --logp-report with earlier results")
if len(set(a.seed)) != len(a.seed):
    ap.error(f"--seed: each flow seed once (a repeated seed trains the same flow again), got {a.seed}")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np, torch  # noqa: E402 (after the thread count)

torch.set_num_threads(1)
from texture_al.cnf import CNF, SCHEDULES, FlowEnsemble, roundtrip, train  # noqa: E402
from texture_al.evaluation import bracket_text, mixture_logp, needed_bracket, observed, paired_nll_gap  # noqa: E402
from texture_al.loop import campaign_data, campaign_splits, load_judge, load_run, run_label  # noqa: E402
from texture_al.mogp import LMCGP, synthetic_set  # noqa: E402
from fresh_gp import fresh_gp  # noqa: E402 (benchmarks/fresh_gp.py)

if a.schedule not in SCHEDULES:  # checked here, not by argparse: torch is imported only after the thread count
    ap.error(f"--schedule must be one of {SCHEDULES}, got {a.schedule!r}")


def fresh_flow(cfg, ds, pool, val, syn, seed):
    "A new flow trained on the synthetic set by the fixed recipe; (flow, epochs run)"
    flow = CNF(blocks=cfg.blocks, hidden=cfg.hidden, layers=cfg.layers, activation=cfg.activation, block=cfg.block,
               seed=seed)  # fmt: skip
    kw = dict(val=(ds.texture_vector[val], ds.P[val]), input_noise=cfg.input_noise, batch=cfg.batch, clip=cfg.clip,
              progress=False)  # fmt: skip
    if a.schedule == "cosine":
        return flow, len(train(flow, ds.texture_vector[pool], syn, epochs=a.epochs, lr=cfg.lr, schedule="cosine",
                               seed=seed, **kw))  # fmt: skip
    h = train(flow, ds.texture_vector[pool], syn, epochs=a.lr_epochs, lr=cfg.lr, seed=seed, **kw)
    h += train(flow, ds.texture_vector[pool], syn, epochs=a.epochs, lr=a.lr2, patience=a.patience, seed=seed + 1,
               **kw)  # fmt: skip
    return flow, len(h)


def scores(flow, cfg, ds, forward, seed) -> dict:
    "Test NLL and round-trip p95 (designs predicted by `forward`) of a trained flow or ensemble of flows"
    _, _, test = campaign_splits(ds, cfg)
    nll = float(-flow.log_prob(ds.texture_vector[test], ds.P[test]).mean())
    targets = ds.P[test[: cfg.roundtrip_targets]]
    rt = roundtrip(flow, forward, targets, cfg.roundtrip_samples, seed=seed)
    return dict(test_nll=nll, roundtrip_p95=rt["p95"])


def logp_key(rec: dict) -> str:
    "The name of a flow's test log-densities in a --logp-out file: strategy, seed pair, n and flow seed"
    return f"{rec['strategy']}|{rec.get('seed')}|{rec['n']}|{rec['flow_seed']}"


def save_logp(rec: dict, flow, cfg, ds):
    "Add one flow's log-density of each test texture to the --logp-out file (written whole, so a kill keeps the rest)"
    if not a.logp_out:
        return
    _, _, test = campaign_splits(ds, cfg)
    old = dict(np.load(a.logp_out)) if os.path.exists(a.logp_out) else {}
    key, new = logp_key(rec), flow.log_prob(ds.texture_vector[test], ds.P[test]).detach().cpu().numpy()
    if key in old and not np.allclose(old[key], new, rtol=0, atol=1e-9):  # a rerun of the same flow is welcome
        raise SystemExit(f"{a.logp_out} already holds a different flow named {key!r}: give another --logp-out file")
    old[key] = new
    tmp = a.logp_out + ".tmp.npz"
    np.savez(tmp, **old)
    os.replace(tmp, a.logp_out)


def seed_flows(head: dict, cfg, ds, gp, judge, seeds, t0) -> list:
    """A fresh flow per seed on the synthetic set of forward model gp, one record each (head, scores, epochs, that
    flow's own seconds; the first's include the GP's fit); with several seeds one more record, flow_seed "ensemble",
    for the equally weighted mixture of those flows"""
    pool, val, _ = campaign_splits(ds, cfg)
    forward = (judge or gp).predict_mean
    out, flows = [], []
    for s in seeds:
        syn = synthetic_set(gp, ds.texture_vector[pool], cfg.n_draws, seed=s)
        flow, epochs = fresh_flow(cfg, ds, pool, val, syn, s)
        flows.append(flow)
        rec = dict(head, **scores(flow, cfg, ds, forward, s), epochs=epochs, flow_seed=s)
        save_logp(rec, flow, cfg, ds)
        out.append(dict(rec, seconds=round(time.perf_counter() - t0, 1)))
        t0 = time.perf_counter()
    if len(flows) > 1:
        rec = dict(head, **scores(FlowEnsemble(flows), cfg, ds, forward, 0), flow_seed="ensemble", members=len(flows))
        out.append(dict(rec, seconds=round(time.perf_counter() - t0, 1)))
    return out


def retrained(run, ds, judge, n, seeds) -> list:
    "Test NLL and round trip of a fresh GP on the run's first n simulations and of a fresh flow per seed on it"
    cfg = run["config"]
    pool, _, _ = campaign_splits(ds, cfg)
    rows, P = run["rows"], run["P"]
    t = time.perf_counter()
    relations = {"on": True, "off": False, None: None}[a.relations]
    gp = fresh_gp(cfg, ds, pool, rows[:n], P[:n], explained=a.explained, max_latent=a.max_latent, relations=relations)
    head = dict(run=run["source"], strategy=run["label"], seed=cfg.seed, n=n, explained=gp.explained,
                max_latent=gp.max_latent, relations=gp.relations, schedule=a.schedule)  # fmt: skip
    return seed_flows(head, cfg, ds, gp, judge, seeds, t)


def judge_floor(run, ds, judge, seeds) -> list:
    """The recipe on the synthetic set of the judge itself (a GP on the benchmark's labelled pool textures; refitted
    with --explained/--max-latent when given): the flow's values when the forward model has all those labels"""
    if judge is None:
        raise SystemExit(f"--judge-floor: {run['dir']} has no saved judge (judge: own)")
    t = time.perf_counter()
    gp = judge
    if a.explained or a.max_latent or a.relations:  # the judge's labels, refitted with these settings
        X = judge.train_inputs.cpu().numpy()  # model inputs: scaled when the judge scales them
        X = judge.x_scaler.inverse(X) if judge.x_scaler is not None else X
        gp = LMCGP(kernel=judge.kernel, x_scaler=judge.x_scaler, explained=a.explained or judge.explained,
                   max_latent=a.max_latent or judge.max_latent,
                   relations=judge.relations if a.relations is None else a.relations == "on")  # fmt: skip
        gp.fit(X, judge.train_outputs, iters=run["config"].gp_iters, lr=run["config"].gp_lr)
    head = dict(run=run["config"].judge, strategy="judge", n=len(judge.train_inputs), explained=gp.explained,
                max_latent=gp.max_latent, relations=gp.relations, schedule=a.schedule)  # fmt: skip
    return seed_flows(head, run["config"], ds, gp, judge, seeds, t)


def load_source(path) -> dict:
    """A run directory, or a gp_loop --rows-out file (the replayed campaign's settings, the replay's rows): its config,
    label, simulated rows and their properties in order, and the numbers of simulations at its iteration boundaries"""
    if str(path).endswith(".json"):
        rec = json.load(open(path))
        run = load_run(rec["run_dir"])
        cfg, rows = run["config"], np.asarray(rec["rows"], dtype=int)
        label = f"replay/{rec['rule']}" + ("-trace" if rec["objective"] == "trace" else "")
        ds = campaign_data(cfg)
        ns = set(range(cfg.n_init, len(rows) + 1, cfg.q)) | {len(rows)}
        P = np.asarray(rec["P"], dtype=np.float64) if "P" in rec else ds.label(rows)  # older files: simulate again
        return dict(run, source=str(path), label=label, rows=rows, P=P, boundaries=ns, data=ds)
    run = load_run(path)
    rows, P = observed(run)
    ns = set(run["metrics"]["n_obs"].astype(int).tolist())
    return dict(run, source=str(run["dir"]), label=run_label(run["config"]), rows=rows, P=P, boundaries=ns,
                data=campaign_data(run["config"]))  # fmt: skip


def print_means(results):
    "Mean and spread of each strategy's scores at each n"
    def kind(r):
        return " (ensembles)" if r.get("flow_seed") == "ensemble" else ""

    print("\n| strategy | n | runs | test NLL | round-trip p95 (%) |\n|---|---|---|---|---|")
    for key in sorted({(r["strategy"] + kind(r), r["n"]) for r in results}):
        rs = [r for r in results if (r["strategy"] + kind(r), r["n"]) == key]
        nll, rt = np.array([r["test_nll"] for r in rs]), np.array([r["roundtrip_p95"] for r in rs])
        cells = f"{nll.mean():.2f} ± {nll.std():.2f} | {rt.mean():.2f} ± {rt.std():.2f}"
        print(f"| {key[0]} | {key[1]} | {len(rs)} | {cells} |")


def times_needed(active: dict, baseline: dict) -> str:
    """How many times active's largest n the baseline needed to reach active's test NLL there, from curves given as
    {n: test NLL} (`texture_al.evaluation.needed_bracket`, in words)"""
    n_a = max(active)
    return bracket_text(needed_bracket(n_a, list(baseline), list(baseline.values()), active[n_a]))


def print_pairs(results):
    """Per seed pair (the campaign seed) and flow seed, ivr's test NLL at its largest n against random picks' at each
    n, and the ratio of simulations; then the same for the flow seeds' ensembles and on the means over the flow seeds
    (ensembles excluded)"""
    def curve(rs, want):
        by_n = {}
        for r in rs:
            if want(r["strategy"]):
                by_n.setdefault(r["n"], []).append(r["test_nll"])
        return {n: float(np.mean(v)) for n, v in by_n.items()}

    is_ivr, is_random = (lambda s: s.split("/")[-1] == "ivr"), (lambda s: s.split("/")[-1] == "random")
    print("\n| seed pair | flow seed | ivr (n: test NLL) | random picks (n: test NLL) | random picks need |")
    print("|---|---|---|---|---|")
    order = lambda k: (str(k[0]), k[1] == "ensemble", str(k[1]))  # noqa: E731 (flow seeds, then the ensemble)
    keys = sorted({(r.get("seed"), r.get("flow_seed")) for r in results} - {(None, None)}, key=order)
    keys += sorted({(seed, "mean") for seed, _ in keys}, key=str)
    for seed, fs in keys:
        mine = [r for r in results if r.get("seed") == seed]
        rs = [r for r in mine if r.get("flow_seed") == fs or (fs == "mean" and r.get("flow_seed") != "ensemble")]
        act, base = curve(rs, is_ivr), curve(rs, is_random)
        if act and base:
            show = lambda c: ", ".join(f"{n}: {v:.2f}" for n, v in sorted(c.items()))  # noqa: E731
            print(f"| {seed} | {fs} | {show(act)} | {show(base)} | {times_needed(act, base)} |")


def mixture_nll(logps) -> float:
    "Test NLL of the equally weighted mixture of K flows, from their log-densities of each test texture (K, n_test)"
    return float(-mixture_logp(logps).mean())


def logp_groups(files) -> dict:
    "{(strategy, seed pair, n): {flow seed: log-densities}} from --logp-out files"
    groups = {}
    for f in files:
        for key, v in np.load(f).items():
            if key.count("|") != 3:
                raise SystemExit(f"{f}: {key!r} is not a retrain.py --logp-out entry (strategy|seed|n|flow seed)")
            strategy, seed, n, fs = key.split("|")
            if not (n.isdigit() and fs.isdigit()):
                raise SystemExit(f"{f}: {key!r} is not a retrain.py --logp-out entry (n and flow seed are integers)")
            groups.setdefault((strategy, seed, int(n)), {})[fs] = v
    return groups


def print_subsets(groups: dict):
    """Per (strategy, seed pair, n): the test NLL of the mixture of every k of its flows, k = 1..K: how much a k-flow
    ensemble's value depends on which flows it has (the spread over subsets; they share flows, so it understates)"""
    print("\n| strategy | seed pair | n | flows mixed | subsets | test NLL: mean (min-max) |")
    print("|---|---|---|---|---|---|")
    for (strategy, seed, n), flows in sorted(groups.items(), key=lambda kv: (kv[0][0], pair_order(kv[0][1]), kv[0][2])):
        for k in range(1, len(flows) + 1):
            vals = [mixture_nll([flows[f] for f in c]) for c in itertools.combinations(sorted(flows), k)]
            cell = f"{np.mean(vals):.2f} ({min(vals):.2f}-{max(vals):.2f})"
            print(f"| {strategy} | {seed} | {n} | {k} | {len(vals)} | {cell} |")


def rule_of(strategy: str) -> str:
    "The selection rule a strategy name ends with: replay/ivr -> ivr, random -> random"
    return strategy.split("/")[-1]


def shown(names) -> dict:
    "How each strategy of a seed pair is named in a table: its rule alone where no other has that rule, else in full"
    count = collections.Counter(rule_of(s) for s in names)
    return {s: rule_of(s) if count[rule_of(s)] == 1 else s for s in names}


def pair_order(seed: str):
    "Seed pairs in numeric order (2 before 10), any other name after them"
    return (0, int(seed), "") if seed.lstrip("-").isdigit() else (1, 0, seed)


def print_paired(groups: dict):
    """Per seed pair and rule (ivr, mix<r>, ...): random picks' mixture minus the rule's, per test texture (the mixtures
    of the lowest k flow seeds of each, k as many as the side with fewer has): the mean difference in test NLL at each
    of random picks' n against the rule's largest n, its standard error over the test textures, the jackknife's over
    the two sets' flows, and both together (texture_al.evaluation.paired_nll_gap). Two strategies with the same rule
    (active/ivr and replay/ivr) get rows of their own, named in full."""
    print("\n| seed pair | rule | rule n | random picks n | flows (rule, random) | random minus rule (test NLL) "
          "| standard error: test set | flows (jackknife) | both |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in sorted({p for _, p, _ in groups}, key=pair_order):
        names = sorted({s for s, p, _ in groups if p == seed})
        label = shown(names)
        for rule in [s for s in names if rule_of(s) != "random"]:
            for base in [s for s in names if rule_of(s) == "random"]:
                print_gaps(groups, seed, (rule, label[rule]), (base, label[base]))


def print_gaps(groups: dict, seed: str, rule: tuple, base: tuple):
    "The rows of one seed pair's rule (strategy, shown name) against one strategy of random picks, at each of its n"
    mine = {n: f for (s, p, n), f in groups.items() if p == seed and s == rule[0]}
    rnd = {n: f for (s, p, n), f in groups.items() if p == seed and s == base[0]}
    n_a = max(mine)
    for n, flows in sorted(rnd.items()):
        k = min(len(mine[n_a]), len(flows))  # mixtures of as many flows on both sides: more flows, lower NLL
        first = lambda fl: [fl[f] for f in sorted(fl, key=int)[:k]]  # noqa: E731 (the lowest k flow seeds)
        g = paired_nll_gap(first(mine[n_a]), first(flows))
        se_flows = "–" if g["se_flows"] is None else f"{g['se_flows']:.3f}"
        n_base = n if base[1] == "random" else f"{n} ({base[1]})"
        print(f"| {seed} | {rule[1]} | {n_a} | {n_base} | {g['flows'][0]}, {g['flows'][1]} | {g['gap']:+.3f} "
              f"| {g['se_test']:.3f} | {se_flows} | {g['se']:.3f} |")


if __name__ == "__main__" and a.logp_report:
    print_subsets(logp_groups(a.logp_report))
    print_paired(logp_groups(a.logp_report))
elif __name__ == "__main__" and a.report:
    results = [r for f in a.report for r in json.load(open(f))]
    print_means(results)
    print_pairs(results)
elif __name__ == "__main__":
    print(f"device: CPU ({platform.machine()}, 1 thread); torch {torch.__version__}", flush=True)
    ns, seeds = [int(x) for x in a.n.split(",")], a.seed
    results = []
    for d in a.run_dirs:
        run = load_source(d)
        ds, judge = run["data"], load_judge(run["config"].judge)
        todo = [n for n in ns if n in run["boundaries"]]
        for n in ["judge"] * (a.judge_floor and d == a.run_dirs[0]) + todo:
            new = judge_floor(run, ds, judge, seeds) if n == "judge" else retrained(run, ds, judge, n, seeds)
            results += new
            print("\n".join(json.dumps(r) for r in new), flush=True)
            if a.out:
                with open(a.out, "w") as fh:
                    json.dump(results, fh, indent=1)
    print_means(results)
    print_pairs(results)
