"""cNF training benchmark: texture_al.cnf.train against a plain FrEIA training loop.

Same network, same data, same process.

Paper network (20 RealNVP blocks, 2x128 sigmoid subnets), batch 200, Adam lr 0.01. Synthetic pairs of the paper's shape
(36-D m, 54-D P, S draws per texture). Prints samples/s for both, the ratio, and the time the paper setting
(54,480 textures x 70 epochs) would take at the measured rate (paper: 10-12 min per iteration on a P100). Both sides are
warmed up first and timed --repeats times, the fastest kept.

usage: PYTHONPATH=. python benchmarks/cnf.py [--n 10000] [--epochs 1] [--repeats 3] [--threads N] [--device cpu|cuda]
"""

import argparse
import numpy as np, torch
from timing import best_of, device_name
from texture_al.cnf import CNF, train, build_inn
from texture_al.cli import set_threads

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=10000)
ap.add_argument("--draws", type=int, default=4)
ap.add_argument("--epochs", type=int, default=1)
ap.add_argument("--blocks", type=int, default=20)
ap.add_argument("--repeats", type=int, default=3, help="each side timed this many times, the fastest kept")
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
ap.add_argument("--threads", type=int, help="CPU threads (default: $TEXTURE_AL_THREADS, else half the cores)")
a = ap.parse_args()
set_threads(a.threads)
dev = torch.device(a.device)
name = device_name(dev)
print(
    f"device: {name}; torch {torch.__version__}; {a.blocks} blocks, n = {a.n} textures x {a.draws} draws, {a.epochs} "
    f"epoch(s)"
)


rng = np.random.default_rng(0)
m = rng.normal(size=(a.n, 36))
B = rng.normal(size=(36, 54)) / 6
P = (m @ B)[:, None, :] + 0.3 * rng.normal(size=(a.n, a.draws, 54))

ms = torch.as_tensor((m - m.mean(0)) / m.std(0), dtype=torch.float32, device=dev)
Ps = torch.as_tensor((P - P.mean((0, 1))) / P.std((0, 1)), dtype=torch.float32, device=dev)


def ours():
    "texture_al's training of a new flow: checks, scalers, divergence guard, the graphed step on a GPU"
    train(CNF(blocks=a.blocks).to(dev), m, P, epochs=a.epochs, progress=False)


def plain():
    "A plain FrEIA loop on tensors already standardized and on the device: no validation, no guards, eager steps"
    inn = build_inn(36, 54, blocks=a.blocks).to(dev)
    opt = torch.optim.Adam(inn.parameters(), lr=0.01)
    for ep in range(a.epochs):
        perm = torch.randperm(a.n, device=dev)
        draw = torch.randint(a.draws, (a.n,), device=dev)
        for s in range(0, a.n, 200):
            i = perm[s : s + 200]
            z, lj = inn(ms[i], c=[Ps[i, draw[i]]])
            loss = (0.5 * (z**2).sum(1) - lj).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(inn.parameters(), 1.0)
            opt.step()


train(CNF(blocks=2).to(dev), m[:400], P[:400], epochs=1, progress=False)  # start-up (threads, CUDA) outside the timings
t_ours = best_of(ours, a.repeats, dev)[0]
t_plain = best_of(plain, a.repeats, dev)[0]
n_samp = a.n * a.epochs
print(f"texture_al.cnf.train: {n_samp / t_ours:,.0f} samples/s ({t_ours:.2f} s)")
print(f"plain FrEIA loop:     {n_samp / t_plain:,.0f} samples/s ({t_plain:.2f} s)")
print(f"RATIO train/plain time: {t_ours / t_plain:.2f}x")
print(f"paper setting (54,480 x 70 epochs = 3.81M samples) at this rate: {54480 * 70 / (n_samp / t_ours) / 60:.1f} min")
