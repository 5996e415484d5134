"""MOGP benchmark: texture_al.mogp.LMCGP against plain GPyTorch models, same data, same process.

Fit: per-optimizer-step time and test R^2 at N observations of the shipped `quick` dataset (N = 1,000 = its whole pool).
Scoring: log det of the 54x54 predictive covariance for 54,480 candidates; the GPyTorch exact multitask model is
timed on a few candidates and extrapolated (it builds one (54n)x(54n) covariance per call).
Baselines: exact multitask GP (MultitaskKernel = ICM, Kronecker structure), and the variational LMC
(LMCVariationalStrategy, the structure of the group's public code).

usage: PYTHONPATH=. python benchmarks/mogp.py [--n 1000] [--steps 20] [--device cpu|cuda]
"""

import argparse, platform, time
import numpy as np, torch, gpytorch
from texture_al.data import example_dataset
from texture_al.mogp import LMCGP, r2_groups
from texture_al.cli import set_threads

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--steps", type=int, default=20)
ap.add_argument("--candidates", type=int, default=54480)
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
ap.add_argument("--skip-variational", action="store_true")
ap.add_argument("--baseline-n", type=int, default=300)
ap.add_argument("--threads", type=int, help="CPU threads (default: $TEXTURE_AL_THREADS, else half the cores)")
a = ap.parse_args()
set_threads(a.threads)
dev = torch.device(a.device)
name = (
    torch.cuda.get_device_name(dev)
    if dev.type == "cuda"
    else f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
)
print(f"device: {name}; torch {torch.__version__}, gpytorch {gpytorch.__version__}")


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


ex = example_dataset("quick")
pool, test = ex.indices("pool"), ex.indices("test")
idx = np.random.default_rng(0).choice(pool, min(a.n, len(pool)), replace=False)
m, P, mt, Pt = ex.texture_vector[idx], ex.P[idx], ex.texture_vector[test], ex.P[test]
cand = np.repeat(ex.texture_vector[pool], -(-a.candidates // len(pool)), 0)[: a.candidates]
cand = cand + 1e-3 * np.random.default_rng(1).normal(size=cand.shape)
print(f"N = {len(m)} observations, 36 inputs, 54 outputs; {len(cand)} candidates; {a.steps} optimizer steps per model")

# --- ours
sync()
t = time.perf_counter()
gp = LMCGP(device=dev).fit(m, P, iters=a.steps)
sync()
t_fit = time.perf_counter() - t
sync()
t = time.perf_counter()
_, ld = gp.predict(cand)
sync()
t_score = time.perf_counter() - t
print(
    f"LMCGP (exact orthogonal LMC, L={gp.L}): fit {t_fit:.2f} s ({t_fit / a.steps * 1e3:.0f} ms/step), "
    f"test R2 sigma/delta {r2_groups(Pt, gp.predict(mt)[0].cpu().numpy())}, log det of {len(cand)} candidates in "
    f"{t_score:.2f} s"
)

# --- baselines at N_b = min(N, --baseline-n): GPyTorch's exact multitask model forms dense (54 N)^2 matrices
# (at N = 1,000 that is 23 GB in float64, and the process was killed on a 24 GB machine), so the ratios are taken at N_b
nb = min(len(m), a.baseline_n)
if nb < len(m):
    m, P = m[:nb], P[:nb]
    sync()
    t = time.perf_counter()
    gp = LMCGP(device=dev).fit(m, P, iters=a.steps)
    sync()
    t_fit = time.perf_counter() - t
    print(
        f"LMCGP at N_b = {nb}: fit {t_fit:.2f} s ({t_fit / a.steps * 1e3:.0f} ms/step), L={gp.L}, test R2 sigma/delta "
        f"{r2_groups(Pt, gp.predict(mt)[0].cpu().numpy())}"
    )
Xs = torch.as_tensor(m, dtype=torch.float64, device=dev)
mu_y, sd_y = P.mean(0), P.std(0) + 1e-12
Ys = torch.as_tensor((P - mu_y) / sd_y, dtype=torch.float64, device=dev)


class MT(gpytorch.models.ExactGP):
    def __init__(s, x, y, lik, rank):
        super().__init__(x, y, lik)
        s.mean_module = gpytorch.means.MultitaskMean(gpytorch.means.ConstantMean(), num_tasks=54)
        s.covar_module = gpytorch.kernels.MultitaskKernel(
            gpytorch.kernels.RBFKernel(ard_num_dims=36), num_tasks=54, rank=rank
        )

    def forward(s, x):
        return gpytorch.distributions.MultitaskMultivariateNormal(s.mean_module(x), s.covar_module(x))


lik = gpytorch.likelihoods.MultitaskGaussianLikelihood(num_tasks=54).to(dev, torch.float64)
mt_model = MT(Xs, Ys, lik, rank=gp.L).to(dev, torch.float64)
with torch.no_grad():
    mt_model.covar_module.data_covar_module.lengthscale = float(np.sqrt(36) * m.std())
mll = gpytorch.mlls.ExactMarginalLogLikelihood(lik, mt_model)
opt = torch.optim.Adam(mt_model.parameters(), lr=0.1)
mt_model.train()
lik.train()
sync()
t = time.perf_counter()
for _ in range(a.steps):
    opt.zero_grad()
    loss = -mll(mt_model(Xs), Ys)
    loss.backward()
    opt.step()
sync()
t_fit_mt = time.perf_counter() - t
mt_model.eval()
lik.eval()
k = 10
with torch.no_grad():
    Xq = torch.as_tensor(cand[:k], dtype=torch.float64, device=dev)
    pr = lik(mt_model(Xs[:1]))
    sync()
    t = time.perf_counter()  # warm the caches on one point
    for i in range(k):
        torch.logdet(lik(mt_model(Xq[i : i + 1])).covariance_matrix)
    sync()
    t_pt = (time.perf_counter() - t) / k
    mean_mt = lik(mt_model(torch.as_tensor(mt, dtype=torch.float64, device=dev))).mean.cpu().numpy() * sd_y + mu_y
print(
    f"GPyTorch exact multitask (ICM rank {gp.L}): fit {t_fit_mt:.2f} s ({t_fit_mt / a.steps * 1e3:.0f} ms/step), test "
    f"R2 sigma/delta {r2_groups(Pt, mean_mt)}, "
    f"{t_pt * 1e3:.0f} ms per candidate -> {t_pt * len(cand):.0f} s for {len(cand)} (extrapolated from {k})"
)
print(
    f"RATIO at N_b = {nb}: fit per step (multitask / LMCGP) {t_fit_mt / t_fit:.2f}x; scoring {len(cand)} candidates at "
    f"N = {a.n} (multitask extrapolated per point / LMCGP) {t_pt * len(cand) / t_score:.0f}x"
)

if not a.skip_variational:
    L, M = gp.L, 256

    class VLMC(gpytorch.models.ApproximateGP):
        def __init__(s):
            z = (
                torch.as_tensor(
                    m[np.random.default_rng(0).choice(len(m), min(M, len(m)), replace=False)], dtype=torch.float64
                )
                .expand(L, -1, -1)
                .clone()
            )
            vd = gpytorch.variational.CholeskyVariationalDistribution(z.shape[1], batch_shape=torch.Size([L]))
            vs = gpytorch.variational.LMCVariationalStrategy(
                gpytorch.variational.VariationalStrategy(s, z, vd, learn_inducing_locations=True),
                num_tasks=54,
                num_latents=L,
                latent_dim=-1,
            )
            super().__init__(vs)
            b = torch.Size([L])
            s.mean_module = gpytorch.means.ConstantMean(batch_shape=b)
            s.covar_module = gpytorch.kernels.ScaleKernel(
                gpytorch.kernels.RBFKernel(ard_num_dims=36, batch_shape=b), batch_shape=b
            )

        def forward(s, x):
            return gpytorch.distributions.MultivariateNormal(s.mean_module(x), s.covar_module(x))

    vm = VLMC().to(dev, torch.float64)
    vl = gpytorch.likelihoods.MultitaskGaussianLikelihood(num_tasks=54).to(dev, torch.float64)
    with torch.no_grad():
        vm.covar_module.base_kernel.lengthscale = float(np.sqrt(36) * m.std())
    elbo = gpytorch.mlls.VariationalELBO(vl, vm, num_data=len(m))
    opt = torch.optim.Adam(list(vm.parameters()) + list(vl.parameters()), lr=0.05)
    vm.train()
    vl.train()
    sync()
    t = time.perf_counter()
    vsteps = 10 * a.steps
    for _ in range(vsteps):
        opt.zero_grad()
        loss = -elbo(vm(Xs), Ys)
        loss.backward()
        opt.step()
    sync()
    t_v = time.perf_counter() - t
    vm.eval()
    vl.eval()
    with torch.no_grad():
        Xc = torch.as_tensor(cand, dtype=torch.float64, device=dev)
        sync()
        t = time.perf_counter()
        for s0 in range(0, len(Xc), 4096):
            out = vm(Xc[s0 : s0 + 4096])
            out.mean, out.variance
        sync()
        t_vs = time.perf_counter() - t
        mean_v = vm(torch.as_tensor(mt, dtype=torch.float64, device=dev)).mean.cpu().numpy() * sd_y + mu_y
    print(
        f"GPyTorch variational LMC ({L} latents, {M} inducing points, {vsteps} full-batch steps): fit {t_v:.2f} s, "
        f"test R2 sigma/delta {r2_groups(Pt, mean_v)}, "
        f"marginal means and variances (no cross-output covariance) of {len(cand)} candidates {t_vs:.2f} s"
    )
