"""The fresh forward model that benchmarks/forward_value.py, retrain.py and gp_loop.py fit on a run's first simulations.

Not a command: the scripts import `fresh_gp` and `test_scores` from here (they run as
`python benchmarks/<script>.py`, so this folder is on the import path).
"""

import numpy as np
import torch

from texture_al.mogp import LMCGP, r2_groups
from texture_al.scaling import Scaler


def fresh_gp(cfg, ds, pool, rows, P, iters: int = None, explained: float = None, max_latent: int = None) -> LMCGP:
    """A new GP with the run's settings (`cfg`) fitted on textures `rows` of `ds` and their properties P; `iters`,
    `explained` (the share of the standardized output variance the latent GPs carry) and `max_latent` (the most latent
    GPs) override the run's values"""
    x_scaler = Scaler.fit(ds.texture_vector[pool]) if cfg.standardize_inputs else None
    gp = LMCGP(kernel=cfg.kernel, x_scaler=x_scaler, explained=explained or cfg.explained,
               max_latent=max_latent or cfg.max_latent)  # fmt: skip
    return gp.fit(ds.texture_vector[rows], P, iters=iters or cfg.gp_iters, lr=cfg.gp_lr)


def test_scores(gp: LMCGP, ds, test) -> dict:
    """gp's negative log predictive density per test texture (NLPD, full 54x54 predictive covariance, data units), its
    mean over single crystals and over polycrystals where the dataset knows the kinds, and the mean R^2 of σ and δ"""
    m, P_test = ds.texture_vector[test], torch.as_tensor(ds.P[test], dtype=gp.dtype)
    mean = torch.as_tensor(gp.predict_mean(m), dtype=gp.dtype)
    nlpd = -torch.distributions.MultivariateNormal(mean, gp.covariance(m)).log_prob(P_test).numpy()
    r2_sigma, r2_delta = r2_groups(ds.P[test], mean.numpy())
    single = np.asarray(ds.kind)[test] == "single" if ds.kind is not None else np.zeros(len(test), bool)
    by_kind = {f"nlpd_{k}": float(nlpd[s].mean()) for k, s in (("single", single), ("poly", ~single)) if s.any()}
    return dict(nlpd=float(nlpd.mean()), r2_sigma=r2_sigma, r2_delta=r2_delta, **by_kind)
