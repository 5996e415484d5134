"""The fresh forward model that benchmarks/forward_value.py, retrain.py and gp_loop.py fit on a run's first simulations.

Not a command: the scripts import `fresh_gp` and `test_scores` from here (they run as
`python benchmarks/<script>.py`, so this folder is on the import path).
"""

import numpy as np
import torch

from texture_al.mogp import LMCGP, r2_groups
from texture_al.scaling import Scaler


def fresh_gp(cfg, ds, pool, rows, P, iters: int = None, explained: float = None, max_latent: int = None,
             relations: bool = None) -> LMCGP:  # fmt: skip
    """A new GP with the run's settings (`cfg`) fitted on textures `rows` of `ds` and their properties P; `iters`,
    `explained` (the share of the standardized output variance the latent GPs carry), `max_latent` (the most latent
    GPs) and `relations` (whether it finds exact linear relations among the properties) override the run's values"""
    x_scaler = Scaler.fit(ds.texture_vector[pool]) if cfg.standardize_inputs else None
    gp = LMCGP(kernel=cfg.kernel, x_scaler=x_scaler, explained=explained or cfg.explained,
               max_latent=max_latent or cfg.max_latent,
               relations=cfg.relations if relations is None else relations)  # fmt: skip
    return gp.fit(ds.texture_vector[rows], P, iters=iters or cfg.gp_iters, lr=cfg.gp_lr)


def test_scores(gp: LMCGP, ds, test) -> dict:
    """gp's negative log predictive density per test texture (NLPD, full 54x54 predictive covariance, data units), its
    mean over single crystals and over polycrystals where the dataset knows the kinds, and the mean R^2 of σ and δ.
    Per kind also the two parts of the NLPD: the squared Mahalanobis distance of the truth from the predictive mean
    (`mahalanobis2_<kind>`, its mean; `..._median`; for a calibrated GP on average the number of directions the
    properties vary in: 35 for the Taylor oracle's) and half the log determinant of the predictive covariance
    (`half_logdet_<kind>`, its mean: how wide the predictions are)"""
    m, P_test = ds.texture_vector[test], torch.as_tensor(ds.P[test], dtype=gp.dtype)
    mean, cov = torch.as_tensor(gp.predict_mean(m), dtype=gp.dtype), gp.covariance(m)
    nlpd = -torch.distributions.MultivariateNormal(mean, cov).log_prob(P_test).numpy()
    chol = torch.linalg.cholesky(cov)
    white = torch.linalg.solve_triangular(chol, (P_test - mean)[..., None], upper=False)[..., 0]
    maha2 = white.square().sum(-1).numpy()
    half_logdet = torch.diagonal(chol, 0, -2, -1).log().sum(-1).numpy()
    r2_sigma, r2_delta = r2_groups(ds.P[test], mean.numpy())
    single = np.asarray(ds.kind)[test] == "single" if ds.kind is not None else np.zeros(len(test), bool)
    by_kind = {}
    for k, s in (("single", single), ("poly", ~single)):
        if s.any():
            by_kind.update({f"nlpd_{k}": float(nlpd[s].mean()), f"mahalanobis2_{k}": float(maha2[s].mean()),
                            f"mahalanobis2_median_{k}": float(np.median(maha2[s])),
                            f"half_logdet_{k}": float(half_logdet[s].mean())})  # fmt: skip
    return dict(nlpd=float(nlpd.mean()), r2_sigma=r2_sigma, r2_delta=r2_delta, **by_kind)
