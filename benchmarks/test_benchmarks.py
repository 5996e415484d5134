"""The benchmark scripts, end to end at smoke size (about a minute on one core).

The benchmark scripts sit outside the package, so nothing else would notice when a change to the package breaks one of
them. Each test runs a script as a user does (a subprocess from the repository root, one thread) on the smoke preset and
the shipped quick data, and checks its output against an independent source: the run directories' own metrics.csv (the
campaign's own evaluation), a peer script on the same simulations, or a recomputation in a few lines here.
"""

import csv, json, os, subprocess, sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_script(name, *args) -> subprocess.CompletedProcess:
    "Run benchmarks/<name>.py with `args` from the repository root, one thread, the repository on the path"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *map(str, args)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip


def script(name, *args) -> str:
    "The stdout of a script run that must succeed"
    r = run_script(name, *args)
    assert r.returncode == 0, f"{name}.py failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    return r.stdout


def refused(name, *args) -> str:
    "The stderr of a script run that must fail"
    r = run_script(name, *args)
    assert r.returncode != 0, f"{name}.py accepted {args}"
    return r.stderr


def metrics(run_dir) -> dict:
    "A run's metrics.csv as float arrays by column"
    rows = list(csv.DictReader(open(Path(run_dir) / "metrics.csv")))
    return {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}


def trailing(m: dict, metric: str, window: int) -> np.ndarray:
    "Trailing means over the last `window` simulations, by a plain loop (the package's is vectorized)"
    n, v = m["n_obs"], m[metric]
    return np.array([v[(n > n[i] - window) & (np.arange(len(n)) <= i)].mean() for i in range(len(n))])


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Path:
    "A smoke efficiency benchmark: ivr (both objectives) to 9 simulations, random picks to 18, seed 0, a judge on 40"
    out = tmp_path_factory.mktemp("efficiency")
    args = ["--preset", "smoke", "--out", out, "--seeds", "0", "--criteria", "ivr,ivr:trace", "--budget", 9,
            "--random-factor", 2, "--strategies", "active,random", "--judge-obs", 40, "--budgets", 7]  # fmt: skip
    script("efficiency", *args)
    return out / "quick"


def test_efficiency_report_matches_the_runs(bench):
    "The report's final values and ratios, recomputed from the runs' metrics.csv"
    rep = json.load(open(bench / "efficiency.json"))
    w = rep["window"]
    act, rnd = metrics(bench / "active-ivr-seed0"), metrics(bench / "random-seed0")
    assert act["n_obs"][-1] == 9 and rnd["n_obs"][-1] == 18
    for metric in ("test_nll", "roundtrip_p95"):
        final = trailing(act, metric, w)[-1]
        np.testing.assert_allclose(rep["strategies"]["active/ivr"][metric], [final])
        pair = rep["ratios"][f"active/ivr vs random ({metric})"]["pairs"][0]
        reached = np.flatnonzero(trailing(rnd, metric, w) <= final)  # both metrics: lower is better
        n_b = rnd["n_obs"][reached[0]] if len(reached) else None
        assert pair["n_baseline"] == n_b
        if n_b is not None:
            assert pair["ratio"] == pytest.approx(n_b / 9)
    assert "ivr_objective: trace" in (bench / "active-ivr-trace-seed0" / "config.yaml").read_text()
    assert "ivr_objective: logdet" in (bench / "active-ivr-seed0" / "config.yaml").read_text()
    assert "active/ivr-trace" in rep["strategies"]
    md = (bench / "efficiency.md").read_text()
    assert "paired gap" in md and "active/ivr vs random (test_nll)" in md
    assert (bench / "efficiency.png").stat().st_size > 10_000


def test_efficiency_second_call_reuses_the_runs(bench):
    "A second call with the same budgets runs nothing: every run's metrics stay as they were"
    before = {d.name: (d / "metrics.csv").read_text() for d in bench.iterdir() if d.is_dir()}
    out = script("efficiency", "--preset", "smoke", "--out", bench.parent, "--seeds", 0, "--criteria", "ivr,ivr:trace",
                 "--budget", 9, "--random-factor", 2, "--strategies", "active,random", "--judge-obs", 40,
                 "--budgets", 7)  # fmt: skip
    assert before == {d.name: (d / "metrics.csv").read_text() for d in bench.iterdir() if d.is_dir()}
    assert "common judge" in out


def test_cross_fit_starts_from_each_campaigns_final_flow(bench, tmp_path):
    "Before fine-tuning, each flow's test NLL is the one its campaign recorded at its last iteration"
    runs = [bench / "active-ivr-seed0", bench / "random-seed0"]
    script("cross_fit", *runs, "--out", tmp_path / "cf", "--epochs", 2, "--every", 1)
    rows = [json.loads(s) for s in open(tmp_path / "cf.jsonl") if s.strip()]
    assert len(rows) == 4  # every flow on every GP
    for run in runs:
        recorded = metrics(run)["test_nll"][-1]
        starts = [r["test_nll"][0] for r in rows if r["flow"].startswith(run.name)]
        np.testing.assert_allclose(starts, recorded, atol=2e-3)  # the jsonl keeps 3 decimals
        assert all(len(r["test_nll"]) == 3 for r in rows)  # before, after epoch 1, after epoch 2


def test_bad_arguments_are_refused_with_a_message(bench, tmp_path):
    assert "--every" in refused("cross_fit", bench / "random-seed0", "--out", tmp_path / "cf", "--epochs", 3,
                                "--every", 2)  # fmt: skip
    for crit, says in [("ivr:trace:logdet", "at most one"), ("ivr:desings", "at most one"),
                       ("max_logdet:trace", "only ivr takes options")]:  # fmt: skip
        assert says in refused("efficiency", "--preset", "smoke", "--criteria", crit, "--out", tmp_path / "e"), crit
    assert not (tmp_path / "e").exists() or not any((tmp_path / "e").rglob("config.yaml"))  # nothing was run
    assert "--rule must be" in refused("gp_loop", bench / "active-ivr-seed0", "--rule", "greedy")
    assert "--report" in refused("retrain")  # nothing to score
    assert "invalid" in refused("retrain", bench / "random-seed0", "--seed", "0,a")
    assert "each flow seed once" in refused("retrain", bench / "random-seed0", "--seed", "1,0,1")
    assert "--logp-report" in refused("retrain", "--report", "a.json", "--logp-report", "b.npz")  # one mode at a time
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    assert "not a retrain.py --logp-out entry" in refused("retrain", "--logp-report", tmp_path / "other.npz")


def test_gp_loop_replays_the_campaign_and_agrees_with_forward_value(bench, tmp_path):
    "The flow-free replay picks what each campaign picked (ivr, random); its fresh GP scores what forward_value's does"
    out = script("gp_loop", bench / "active-ivr-seed0", "--to", 9, "--score-at", 9)
    recs = [json.loads(s) for s in out.splitlines() if s.startswith("{")]
    assert [r["n"] for r in recs] == [7, 9] and all(r["same_as_campaign"] for r in recs)
    script("forward_value", bench, "--active-n", "7,9", "--random-n", "7,9,13,18", "--out", tmp_path / "fv.json")
    fv = json.load(open(tmp_path / "fv.json"))
    mine = [r for r in fv if r["label"] == "active/ivr" and r["n"] == 9]
    assert len(mine) == 1
    for k in ("nlpd", "r2_sigma", "r2_delta"):
        assert mine[0][k] == pytest.approx(recs[-1][k], rel=1e-6), k
    for kind in ("single", "poly"):  # the NLPD's two parts add up to torch's Gaussian log-density
        parts = mine[0][f"mahalanobis2_{kind}"] / 2 + mine[0][f"half_logdet_{kind}"] + 27 * np.log(2 * np.pi)
        assert mine[0][f"nlpd_{kind}"] == pytest.approx(parts, rel=1e-9, abs=1e-9), kind
        assert 0 < mine[0][f"mahalanobis2_median_{kind}"] < 10 * mine[0][f"mahalanobis2_{kind}"]
    # the plain residual, recorded apart; at n <= 18 the GP cannot yet tell a relation (it needs n > 36): same scores
    fv_json = tmp_path / "fv.json"
    script("forward_value", bench, "--active-n", 9, "--random-n", 9, "--relations", "off", "--out", fv_json)
    plain = [r for r in json.load(open(fv_json)) if r["label"] == "active/ivr" and r["n"] == 9]
    assert sorted(r["relations"] for r in plain) == [False, True]
    assert plain[0]["nlpd"] == pytest.approx(plain[1]["nlpd"], rel=1e-9)
    out = script("gp_loop", bench / "random-seed0", "--rule", "random", "--to", 13, "--score-at", 13)
    recs = [json.loads(s) for s in out.splitlines() if s.startswith("{")]
    assert [r["n"] for r in recs] == [7, 9, 11, 13] and all(r["same_as_campaign"] for r in recs)
    theirs = [r for r in fv if r["label"] == "random" and r["n"] == 13]
    assert theirs[0]["nlpd"] == pytest.approx(recs[-1]["nlpd"], rel=1e-6)


def test_retrain_scores_both_runs_by_one_recipe(bench, tmp_path):
    """One record per (run, n, flow seed), each with finite scores, and one for the seeds' ensemble; a flow seed gives
    the same numbers when it is trained alone on a rerun, the two seeds' flows differ, and the ensemble's test NLL is
    within the mixture's bounds (at most the members' mean, at most the best member's plus log 2)"""
    args = ["--n", 9, bench / "active-ivr-seed0", bench / "random-seed0", "--epochs", 2, "--lr-epochs", 1]
    script("retrain", *args, "--seed", "0,1", "--out", tmp_path / "a.json", "--logp-out", tmp_path / "a.npz")
    script("retrain", *args, "--seed", 1, "--out", tmp_path / "b.json", "--logp-out", tmp_path / "a.npz")  # a rerun
    other = args + ["--explained", 0.5]  # another GP, so other flows, under the same names: refused
    assert "already holds a different flow" in refused("retrain", *other, "--seed", 1, "--logp-out", tmp_path / "a.npz")
    ra, rb = json.load(open(tmp_path / "a.json")), json.load(open(tmp_path / "b.json"))
    assert {r["n"] for r in ra} == {9} and [r["flow_seed"] for r in ra] == [0, 1, "ensemble"] * 2
    for x, y in zip(ra[1::3], rb):
        assert np.isfinite(x["test_nll"]) and x["test_nll"] == pytest.approx(y["test_nll"], abs=1e-9)
    assert ra[0]["test_nll"] != pytest.approx(ra[1]["test_nll"], abs=1e-6)
    for a, b, ens in (ra[:3], ra[3:]):
        assert ens["members"] == 2 and np.isfinite(ens["roundtrip_p95"])
        assert ens["test_nll"] <= (a["test_nll"] + b["test_nll"]) / 2 + 1e-9
        assert ens["test_nll"] <= min(a["test_nll"], b["test_nll"]) + np.log(2) + 1e-9
    report = script("retrain", "--report", tmp_path / "a.json")
    for fs in (0, 1, "ensemble"):  # random picks' one n against ivr's: reached (at most 1.00x) or not, as recorded
        ivr, rnd = (next(r["test_nll"] for r in ra if r["flow_seed"] == fs and r["strategy"] == s)
                    for s in ("active/ivr", "random"))  # fmt: skip
        need = "at most" if rnd <= ivr else "more than"
        assert f"| 0 | {fs} | 9: {ivr:.2f} | 9: {rnd:.2f} | {need} 1.00x |" in report
    # the saved log-densities give back each flow's test NLL and each pair of flows' ensemble
    logp = dict(np.load(tmp_path / "a.npz"))
    assert sorted(logp) == sorted(f"{s}|0|9|{fs}" for s in ("active/ivr", "random") for fs in (0, 1))
    for r in ra:
        lp = [logp[f"{r['strategy']}|0|9|{fs}"] for fs in (0, 1)]
        mine = -np.mean(np.logaddexp(*lp) - np.log(2)) if r["flow_seed"] == "ensemble" else -lp[r["flow_seed"]].mean()
        assert mine == pytest.approx(r["test_nll"], abs=1e-9)
    out = script("retrain", "--logp-report", tmp_path / "a.npz")
    ens = {r["strategy"]: r["test_nll"] for r in ra if r["flow_seed"] == "ensemble"}
    assert f"| active/ivr | 0 | 9 | 2 | 1 | {ens['active/ivr']:.2f} ({ens['active/ivr']:.2f}-" in out
    row = next(s for s in out.splitlines() if s.startswith("| 0 | ivr | 9 | 9 |"))
    cols = [c.strip() for c in row.split("|")]
    assert cols[5] == "2, 2" and float(cols[6]) == pytest.approx(ens["random"] - ens["active/ivr"], abs=1e-3)
    assert float(cols[9]) == pytest.approx(np.hypot(float(cols[7]), float(cols[8])), abs=2e-3)  # both noises


def test_retrain_cosine_recipe_is_one_annealed_stage(bench, tmp_path):
    "--schedule cosine: --epochs epochs in one call (no second stage, no early stopping), and its records say so"
    args = ["--n", 9, bench / "random-seed0", "--epochs", 3, "--lr-epochs", 1, "--seed", 0]
    script("retrain", *args, "--out", tmp_path / "two.json")
    script("retrain", *args, "--schedule", "cosine", "--out", tmp_path / "cos.json")
    two, cos = json.load(open(tmp_path / "two.json"))[0], json.load(open(tmp_path / "cos.json"))[0]
    assert (two["schedule"], two["epochs"]) == ("constant", 1 + 3)  # 1 at the run's lr, then 3 at --lr2
    assert (cos["schedule"], cos["epochs"]) == ("cosine", 3)
    assert np.isfinite(cos["test_nll"]) and cos["test_nll"] != pytest.approx(two["test_nll"], abs=1e-6)
    assert two["relations"] is True  # the runs' setting (the default), recorded with every score
    assert "--schedule must be one of" in refused("retrain", *args, "--schedule", "linear")


def test_logp_report_pairs_every_rule_with_random_picks_on_as_many_flows(tmp_path):
    """--logp-report on made-up log-densities: ivr with 3 flows against random picks with 2 is cut to ivr's flows 0
    and 1 (the gap is the 2-flow mixtures' difference, computed here by hand), a mix3 replay gets its own row, and a
    key whose flow seed is not an integer is refused"""
    rng = np.random.default_rng(0)
    lp = {f"{s}|0|{n}|{fs}": rng.normal(-30, 3, 40) for s, n, k in [("replay/ivr", 310, 3), ("replay/mix3", 310, 2),
                                                                     ("replay/random", 620, 2)] for fs in range(k)}
    np.savez(tmp_path / "lp.npz", **lp)
    out = script("retrain", "--logp-report", tmp_path / "lp.npz")
    nll = lambda s, n, k: -np.mean(np.logaddexp.reduce([lp[f"{s}|0|{n}|{fs}"] for fs in range(k)]) - np.log(k))  # noqa
    for rule in ("ivr", "mix3"):
        row = next(s for s in out.splitlines() if s.startswith(f"| 0 | {rule} | 310 | 620 |"))
        cols = [c.strip() for c in row.split("|")]
        want = nll("replay/random", 620, 2) - nll(f"replay/{rule}", 310, 2)
        assert cols[5] == "2, 2" and float(cols[6]) == pytest.approx(want, abs=1e-3), rule
    np.savez(tmp_path / "bad.npz", **{"replay/ivr|0|310|ensemble": np.zeros(3)})
    assert "n and flow seed are integers" in refused("retrain", "--logp-report", tmp_path / "bad.npz")


def test_logp_report_keeps_strategies_with_one_rule_apart(tmp_path):
    """Two strategies with the same rule in one seed pair (a campaign's active/ivr and its replay/ivr) get rows of
    their own, named in full, each against random picks (their gaps computed here by hand); seed pairs come in
    numeric order (2 before 10)"""
    rng = np.random.default_rng(1)
    lp = {f"{s}|{p}|{n}|{fs}": rng.normal(-30, 3, 40) for p in ("2", "10")
          for s, n in [("active/ivr", 310), ("replay/ivr", 310), ("replay/random", 620)] for fs in range(2)}
    np.savez(tmp_path / "lp.npz", **lp)
    out = script("retrain", "--logp-report", tmp_path / "lp.npz").split("random minus rule")[1]
    nll = lambda s, p, n: -np.mean(np.logaddexp.reduce([lp[f"{s}|{p}|{n}|{fs}"] for fs in range(2)]) - np.log(2))  # noqa
    rows = [s for s in out.splitlines() if s.startswith("| 2 |") or s.startswith("| 10 |")]
    assert [r.split("|")[1:3] for r in rows] == [[" 2 ", " active/ivr "], [" 2 ", " replay/ivr "],
                                                 [" 10 ", " active/ivr "], [" 10 ", " replay/ivr "]]
    for row in rows:
        cols = [c.strip() for c in row.split("|")]
        want = nll("replay/random", cols[1], 620) - nll(cols[2], cols[1], 310)
        assert float(cols[6]) == pytest.approx(want, abs=1e-3), row


def test_replayed_rows_stand_in_for_the_campaign(bench, tmp_path):
    """gp_loop's --rows-out from the ivr run with --rule random holds the random campaign's simulations in its order
    (the pair shares the initial design and the seeds); retrain.py scores that file as it scores the campaign itself"""
    rows_file = tmp_path / "random-rows.json"
    script("gp_loop", bench / "active-ivr-seed0", "--rule", "random", "--to", 13, "--score-at", 0,
           "--rows-out", rows_file)  # fmt: skip
    rec = json.load(open(rows_file))
    campaign = [int(r["row"]) for r in csv.DictReader(open(bench / "random-seed0" / "observations.csv"))]
    assert rec["rule"] == "random" and rec["rows"] == campaign[:13]
    args = ["--n", "7,9", "--epochs", 2, "--lr-epochs", 1]
    script("retrain", rows_file, bench / "random-seed0", *args, "--out", tmp_path / "r.json")
    by = {(r["strategy"], r["n"]): r for r in json.load(open(tmp_path / "r.json"))}
    assert set(by) == {("replay/random", 7), ("replay/random", 9), ("random", 7), ("random", 9)}
    for n in (7, 9):
        for k in ("test_nll", "roundtrip_p95"):
            assert by["replay/random", n][k] == pytest.approx(by["random", n][k], rel=1e-9), (n, k)


def test_batch_size_study_records_what_train_gives(tmp_path):
    "A tiny batch-size study; its recorded curve is the one `train` gives the same flow here, epoch by epoch"
    import torch
    from texture_al.cnf import CNF, train

    small = ["--out", tmp_path, "--threads", 1]
    assert "run `batch_size.py prepare" in refused("batch_size", "train", *small)
    assert "invalid choice" in refused("batch_size", "train", "--schedule", "linear", *small)
    script("batch_size", "prepare", "--pool", 300, "--draws", 3, "--gp-iters", 2, *small)
    for batch, lr, schedule in ((64, 0.01, "constant"), (300, 0.003, "cosine")):
        how = ["--batch", batch, "--lr", lr, "--schedule", schedule, "--epochs", 2, "--blocks", 2, "--seed", 1]
        script("batch_size", "train", *how, *small)
    out = script("batch_size", "report", "--save", tmp_path / "all.json", *small)
    assert "| 64 | 0.01 | constant | 2 | 1 |" in out and "| 300 | 0.003 | cosine | 2 | 1 |" in out, out
    rec = json.load(open(tmp_path / "all.json"))
    assert rec["data"] == dict(pool=300, draws=3, gp_latents=rec["data"]["gp_latents"], test=200, test_source="quick")
    d = torch.load(tmp_path / "data.pt")
    val = (d["test_m"].double().numpy(), d["test_P"].double().numpy())
    for r in rec["runs"]:
        assert r["steps_per_epoch"] == -(-300 // r["batch"])
        flow = CNF(blocks=2, seed=1)
        hist = train(flow, d["m"], d["syn"], val=val, epochs=2, batch=r["batch"], lr=r["lr"], seed=1,
                     schedule=r["schedule"], progress=False)
        np.testing.assert_allclose(r["test_nll"], [h["val_nll"] for h in hist], rtol=1e-6)
        cosine = r["schedule"] == "cosine"  # 2 epochs: the full rate, then half of it (1 + cos(π/2)) / 2
        np.testing.assert_allclose(r["lrs"], [r["lr"], r["lr"] / 2 if cosine else r["lr"]], rtol=1e-12)
