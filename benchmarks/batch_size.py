"""Does the paper's flow learn as well with larger batches? The question behind the GPU's 30-s paper-scale iteration.

On a GPU a replayed training step of the paper's flow costs about the same at batch 200 and 2,000 (11.4 against
12.3 ms on an H200, `cnf_step.py`), so ten times the batch is ten times fewer steps for the same 70 epochs. This
script trains the paper's network (20 RealNVP blocks, 2x128) at paper scale on a synthetic set and records every
epoch's NLL on labelled test textures, for each batch size and learning rate asked for, so that the curves can be
compared at equal epochs (equal samples seen) and at equal steps.

  PYTHONPATH=. python benchmarks/batch_size.py prepare --out runs/batch
      54,480 new pool textures (the paper's single-crystal fraction), a GP fitted on the shipped quick dataset's
      1,000 labelled pool textures, S = 100 synthetic draws per pool texture (about 1.2 GB), and the test textures
      (the medium dataset's 1,000, `--test runs/medium.h5`, else the quick dataset's 200)
  PYTHONPATH=. python benchmarks/batch_size.py train --out runs/batch --batch 2000 --lr 0.01 --seed 0 --threads 1
      one flow, 70 epochs; writes runs/batch/b2000-lr0.01-s0.json (per-epoch test NLL, rate and seconds);
      `--schedule cosine` anneals the rate towards 0 over the epochs (b2000-lr0.01-cosine-s0.json); other --epochs
      than 70 are named too (b2000-lr0.01-cosine-e35-s0.json)
  PYTHONPATH=. python benchmarks/batch_size.py report --out runs/batch [--save benchmarks/batch_size_paper.json]
      the table: test NLL at epochs 10, 35, 70 and at the steps the largest batch takes
"""

import argparse, glob, json, os, sys
import numpy as np, torch

sys.path.insert(0, os.path.dirname(__file__))
from timing import device_name  # noqa: E402
from texture_al.cli import set_threads  # noqa: E402
from texture_al.cnf import SCHEDULES  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("what", choices=["prepare", "train", "report"])
ap.add_argument("--out", default="runs/batch")
ap.add_argument("--test", default="", help="a labelled dataset file whose test split scores the flows")
ap.add_argument("--pool", type=int, default=54480)
ap.add_argument("--draws", type=int, default=100)
ap.add_argument("--gp-iters", type=int, default=40)
ap.add_argument("--batch", type=int, default=200)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--schedule", default="constant", choices=SCHEDULES, help="the rate over the epochs")
ap.add_argument("--epochs", type=int, default=70)
ap.add_argument("--blocks", type=int, default=20)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
ap.add_argument("--save", default="", help="report: write the runs to this JSON file")
ap.add_argument("--threads", type=int, help="CPU threads (default: $TEXTURE_AL_THREADS, else half the cores)")
a = ap.parse_args()
set_threads(a.threads)
DATA = os.path.join(a.out, "data.pt")


def prepare():
    "The pool, its synthetic set and the test textures, saved to DATA"
    from texture_al.data import PRESETS, example_dataset, load_dataset
    from texture_al.gsh import default_basis
    from texture_al.mogp import LMCGP, synthetic_set
    from texture_al.textures import candidate_pool

    ex = example_dataset("quick")
    lab = ex.indices("pool")
    tst = load_dataset(a.test) if a.test else ex
    rows = tst.indices("test")
    if len(rows) == 0 or np.isnan(tst.P[rows]).any():
        sys.exit(f"{a.test}: the test split must be there and labelled (texture-al data generate labels it by default)")
    n_single = int(round(a.pool * PRESETS["paper"]["single_fraction"]))
    pool = candidate_pool(n_single, a.pool - n_single, seed=12345, progress=True).coefficients(default_basis())
    gp = LMCGP(explained=0.999, max_latent=54).fit(ex.texture_vector[lab], ex.P[lab], iters=a.gp_iters)
    pool_tv = pool[:, 1:]  # C_0 = 1 is not a coordinate of the texture vector
    syn = synthetic_set(gp, pool_tv, a.draws, seed=0)
    os.makedirs(a.out, exist_ok=True)
    torch.save(dict(m=torch.as_tensor(pool_tv), syn=syn,
                    test_m=torch.as_tensor(tst.texture_vector[rows]), test_P=torch.as_tensor(tst.P[rows]),
                    gp_latents=len(gp.tau), test_source=a.test or "quick"), DATA)  # fmt: skip
    print(f"pool {tuple(pool_tv.shape)}, synthetic set {tuple(syn.shape)}, test {len(rows)} ({a.test or 'quick'}); "
          f"GP latents {len(gp.tau)}; saved {DATA}")


def train_one():
    "One flow at --batch and --lr, every epoch scored on the test textures"
    from texture_al.cnf import CNF, train

    if not os.path.exists(DATA):
        sys.exit(f"no {DATA}: run `batch_size.py prepare --out {a.out}` first")
    d = torch.load(DATA)
    flow = CNF(blocks=a.blocks, seed=a.seed).to(a.device)
    val = (d["test_m"].double().numpy(), d["test_P"].double().numpy())
    hist = train(flow, d["m"], d["syn"], val=val, epochs=a.epochs, batch=a.batch, lr=a.lr, seed=a.seed,
                 schedule=a.schedule)
    steps = -(-len(d["m"]) // a.batch)
    rec = dict(batch=a.batch, lr=a.lr, schedule=a.schedule, seed=a.seed, blocks=a.blocks, steps_per_epoch=steps,
               device=device_name(torch.device(a.device)), test_source=d["test_source"],
               test_nll=[h["val_nll"] for h in hist], seconds=[h["seconds"] for h in hist],
               recovered=[h["recovered"] for h in hist], lrs=[h["lr"] for h in hist])  # fmt: skip
    tag = ("" if a.schedule == "constant" else f"-{a.schedule}") + ("" if a.epochs == 70 else f"-e{a.epochs}")
    path = os.path.join(a.out, f"b{a.batch}-lr{a.lr:g}{tag}-s{a.seed}.json")
    with open(path, "w") as f:
        json.dump(rec, f)
    print(f"batch {a.batch}, lr {a.lr:g} ({a.schedule}), seed {a.seed}: "
          f"test NLL after {len(hist)} epochs {hist[-1]['val_nll']:.2f}, best {np.nanmin(rec['test_nll']):.2f}; "
          f"{sum(rec['seconds']):.0f} s on {rec['device']}; {path}")


def report():
    """The table (test NLL per run at fixed epochs, and at the steps the largest batch takes in all its epochs); with
    --save, the runs and their data's sizes in one JSON file (what `nbs/05_cnf.ipynb` draws)"""
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(a.out, "b*-lr*-s*.json")))]
    if not runs:
        sys.exit(f"no runs in {a.out}")
    for r in runs:  # records written before schedules existed ran at a constant rate
        r.setdefault("schedule", "constant")
    runs.sort(key=lambda r: (r["batch"], r["lr"], r["schedule"], -len(r["test_nll"]), r["seed"]))
    big = max(runs, key=lambda r: r["batch"])
    budget = big["steps_per_epoch"] * len(big["test_nll"])
    print(f"device: {runs[0]['device']}")
    print("| batch | lr | schedule | epochs | seed | test NLL at epoch 10 | 35 | 70 | "
          f"at {budget} steps | s per epoch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        t = r["test_nll"]
        at = lambda e: f"{t[e - 1]:.2f}" if len(t) >= e else "-"  # noqa: E731
        e_budget = max(1, min(len(t), budget // r["steps_per_epoch"]))
        print(f"| {r['batch']} | {r['lr']:g} | {r['schedule']} | {len(t)} | {r['seed']} | {at(10)} | {at(35)} | "
              f"{at(70)} | {t[e_budget - 1]:.2f} (epoch {e_budget}) | {np.median(r['seconds']):.1f} |")
    if a.save:
        d = torch.load(DATA)
        meta = dict(pool=len(d["m"]), draws=d["syn"].shape[1], gp_latents=d["gp_latents"], test=len(d["test_m"]),
                    test_source=d["test_source"])  # fmt: skip
        with open(a.save, "w") as f:
            json.dump(dict(data=meta, runs=runs), f, indent=1)
        print(f"saved {a.save}")


{"prepare": prepare, "train": train_one, "report": report}[a.what]()
