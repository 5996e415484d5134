"""Batch ivr selection: the package's `select(..., criterion="ivr", q)` against a plain implementation, same process.

The plain one is the equation as written: for each pick, condition the GP on the earlier picks by refactorizing
(`LMCGP.condition`), then score every candidate over the reference set in chunks of 1,024, out of place. The
package keeps the data-conditioned covariances across the batch's picks (rank-one updates instead), sizes its
chunks to the memory (`auto_chunk`) and works in place. Also timed: the package with `keep_gb=0` (recomputed at
each pick). The picks must agree; the ratios are the speed-ups.
The GP is fitted on N textures of the shipped `quick` dataset; candidates are its pool repeated with a small jitter
up to --candidates (the medium preset's pool is 5,000).

usage: PYTHONPATH=. python benchmarks/ivr_batch.py [--n 300] [--candidates 5000] [--q 5] [--latents 32] [--device cpu]
"""

import argparse
import numpy as np, torch

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=300, help="observations the GP is fitted on")
ap.add_argument("--candidates", type=int, default=5000)
ap.add_argument("--q", type=int, default=5, help="picks per batch")
ap.add_argument("--latents", type=int, default=32, help="latent GPs (the medium preset's 0.999 GP has about 32)")
ap.add_argument("--reference", type=int, default=500, help="ivr reference set size")
ap.add_argument("--repeats", type=int, default=1)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
a = ap.parse_args()
torch.set_num_threads(a.threads)

from texture_al.data import example_dataset  # noqa: E402 (after the thread count is set)
from texture_al.mogp import LMCGP, select  # noqa: E402
from timing import best_of, device_name  # noqa: E402 (benchmarks/timing.py)

dev = torch.device(a.device)
print(f"device: {device_name(dev)}; torch {torch.__version__}")

ex = example_dataset("quick")
pool = ex.indices("pool")
idx = np.random.default_rng(0).choice(pool, min(a.n, len(pool)), replace=False)
cand = np.repeat(ex.texture_vector[pool], -(-a.candidates // len(pool)), 0)[: a.candidates]
cand = cand + 1e-3 * np.random.default_rng(1).normal(size=cand.shape)
gp = LMCGP(n_latent=a.latents, max_latent=a.latents, device=dev).fit(ex.texture_vector[idx], ex.P[idx], iters=20)
print(f"N = {len(idx)}, L = {len(gp.tau)} latents, {len(cand)} candidates, |R| = {a.reference}, q = {a.q}")


ref_m = cand[np.random.default_rng(0).choice(len(cand), a.reference, replace=False)]


def plain_scores(g, x, r, chunk=1024):
    "Delta(c) = sum_r sum_i log(v_i(r) + tau_i) - log(v_i(r) + tau_i - k_i(r, c)^2 / (v_i(c) + tau_i)), per candidate"
    vr = (g.latent_variance(r) + g.tau[:, None])[..., None]
    KinvR = g.solve(g.prior_covariance(g.train_inputs, r))
    out = []
    for s in range(0, len(x), chunk):
        xc = x[s : s + chunk]
        kc = g.prior_covariance(r, xc) - KinvR.transpose(1, 2) @ g.prior_covariance(g.train_inputs, xc)
        red = kc**2 / (g.latent_variance(xc) + g.tau[:, None])[:, None, :]
        out.append((torch.log(vr) - torch.log((vr - red).clamp_min(1e-300))).sum((0, 1)))
    return torch.cat(out)


def plain_select():
    picks, g = [], gp
    for _ in range(a.q):
        if picks:  # the outcome does not change a GP's covariance: any labels do
            g = gp.condition(cand[picks], gp.predict_mean(cand[picks]))
        s = plain_scores(g, g.inputs(cand), g.inputs(ref_m))
        s[picks] = -torch.inf
        picks.append(int(torch.argmax(s)))
    return np.array(picks)


t_plain, p_plain = best_of(plain_select, a.repeats, dev)
t_new, p_new = best_of(lambda: select(gp, cand, q=a.q, criterion="ivr", reference=ref_m), a.repeats, dev)
t_nokeep, p_nokeep = best_of(lambda: select(gp, cand, q=a.q, criterion="ivr", reference=ref_m, keep_gb=0), a.repeats,
                             dev)
print(f"plain: {t_plain:.2f} s; package: {t_new:.2f} s (ratio {t_plain / t_new:.2f}x); package recomputing at each "
      f"pick: {t_nokeep:.2f} s (ratio {t_plain / t_nokeep:.2f}x); best of {a.repeats}")
print(f"picks: plain {p_plain.tolist()}, package {p_new.tolist()}, recomputing {p_nokeep.tolist()}")
