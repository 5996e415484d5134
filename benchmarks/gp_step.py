"""One optimizer step of the GP fit: the latent GPs' `neg_log_marginal` (closed-form gradient) against GPyTorch's
`ExactMarginalLogLikelihood` (autograd through the Cholesky factor), same model, same process.

The objective and its gradients must agree (printed); the ratio of the step times is the speed-up. The model is an
`LMCGP` fitted briefly on N textures of the shipped `quick` dataset with --latents latent GPs.

usage: PYTHONPATH=. python benchmarks/gp_step.py [--n 300] [--latents 32] [--steps 5] [--threads 1] [--device cpu]
"""

import argparse
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=300, help="observations")
ap.add_argument("--latents", type=int, default=32)
ap.add_argument("--steps", type=int, default=5, help="timed steps of each")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
a = ap.parse_args()
torch.set_num_threads(a.threads)

import gpytorch, numpy as np  # noqa: E402 (after the thread count is set)
from texture_al.data import example_dataset  # noqa: E402
from texture_al.mogp import LMCGP  # noqa: E402
from timing import best_of, device_name  # noqa: E402 (benchmarks/timing.py)

dev = torch.device(a.device)
print(f"device: {device_name(dev)}; torch {torch.__version__}, gpytorch {gpytorch.__version__}")
ex = example_dataset("quick")
pool = ex.indices("pool")
idx = np.random.default_rng(0).choice(pool, min(a.n, len(pool)), replace=False)
gp = LMCGP(n_latent=a.latents, max_latent=a.latents, device=dev).fit(ex.texture_vector[idx], ex.P[idx], iters=5)
model, z = gp.model.train(), gp.Z
mll = gpytorch.mlls.ExactMarginalLogLikelihood(model.likelihood, model)
print(f"N = {len(idx)}, L = {gp.L} latents")


def ours():
    return model.neg_log_marginal(z)


def gpytorch_mll():
    with gpytorch.settings.max_cholesky_size(10**6):
        return -mll(model(*model.train_inputs), z).sum()


def step(f):
    "objective, gradients, seconds per forward + backward (best of --steps)"

    def once():
        model.zero_grad()
        loss = f()
        loss.backward()
        return loss

    best, loss = best_of(once, a.steps, dev)
    return float(loss.detach()), [p.grad.clone() for p in model.parameters()], best


v0, g0, t0 = step(gpytorch_mll)
v1, g1, t1 = step(ours)
err = max(float(((x - y).abs() / y.abs().clamp_min(1e-12)).max()) for x, y in zip(g1, g0))
print(f"objective: GPyTorch {v0:.10f}, ours {v1:.10f}; max relative gradient difference {err:.1e}")
print(f"step: GPyTorch {t0:.3f} s, ours {t1:.3f} s; ratio {t0 / t1:.2f}x (best of {a.steps})")
