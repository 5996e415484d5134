"""Where a cNF training step's time goes on a GPU: texture_al.cnf.train's eager steps against its steps replayed as
a CUDA graph (`cuda_graph=True`, the default on a GPU), same process.

Prints the time of one tiny kernel launch, the step time of `train` eager and graphed (20 and 8 blocks, batch 200
and 2,000) and the CUDA kernels per eager step (torch.profiler). A step time that does not grow with the batch is the
host launching kernels, not the GPU computing; the ratio eager / graph is what capturing the step saves. On a CPU
only the eager steps are timed.

usage: PYTHONPATH=. python benchmarks/cnf_step.py [--device cuda|cpu] [--threads N]
"""

import argparse, time
import numpy as np, torch
from timing import best_of, device_name, sync
from texture_al.cli import set_threads
from texture_al.cnf import CNF, train

ap = argparse.ArgumentParser()
ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
ap.add_argument("--threads", type=int, help="CPU threads (default: $TEXTURE_AL_THREADS, else half the cores)")
a = ap.parse_args()
set_threads(a.threads)
dev = torch.device(a.device)
cuda = dev.type == "cuda"
print(f"device: {device_name(dev)}; torch {torch.__version__}")


def launch_us(reps: int = 5000) -> float:
    "Microseconds per launch of a tiny kernel (in place add on 200 x 36 floats)"
    x = torch.zeros(200, 36, device=dev)
    for _ in range(100):
        x.add_(1)
    sync(dev)
    t = time.perf_counter()
    for _ in range(reps):
        x.add_(1)
    sync(dev)
    return (time.perf_counter() - t) / reps * 1e6


def step_ms(blocks: int, batch: int, rng, graph: bool = False) -> float:
    """Milliseconds per optimizer step of `train` (eager, or replayed as a CUDA graph): a 3-epoch call less a 1-epoch
    call, over the 50 steps between them, so that start-up, warm-up and capture cancel"""
    n = batch * 25
    m, P = rng.normal(size=(n, 36)), rng.normal(size=(n, 54))
    flow = CNF(blocks=blocks).to(dev)
    t = {}
    for epochs in (1, 1, 3):  # the first call warms the libraries up
        run = lambda: train(flow, m, P, epochs=epochs, batch=batch, progress=False, cuda_graph=graph)  # noqa: E731
        t[epochs] = best_of(run, 1, dev)[0]
    return (t[3] - t[1]) / 50 * 1e3


def kernels_per_step(rng) -> float:
    "CUDA kernels per step of `train` with the paper's network, batch 200 (torch.profiler over one 10-step epoch)"
    from torch.profiler import profile, ProfilerActivity

    flow = CNF(blocks=20).to(dev)
    m, P = rng.normal(size=(2000, 36)), rng.normal(size=(2000, 54))
    train(flow, m, P, epochs=1, batch=200, progress=False, cuda_graph=False)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        train(flow, m, P, epochs=1, batch=200, progress=False, cuda_graph=False)
        sync(dev)
    return sum(e.count for e in prof.key_averages() if e.device_type.name == "CUDA") / 10


rng = np.random.default_rng(0)
if cuda:
    print(f"tiny kernel: {launch_us():.1f} us per launch", flush=True)
steps = 70 * -(-54480 // 200)
eager, graph = {}, {}
for blocks, batch in ((20, 200), (20, 2000), (8, 200)):
    eager[blocks, batch] = step_ms(blocks, batch, rng)
    print(f"train, eager, {blocks} blocks, batch {batch}: {eager[blocks, batch]:.1f} ms per step", flush=True)
    if cuda:
        graph[blocks, batch] = step_ms(blocks, batch, rng, graph=True)
        print(f"train, CUDA graph, {blocks} blocks, batch {batch}: {graph[blocks, batch]:.2f} ms per step", flush=True)
print(f"paper setting ({steps:,} steps of batch 200), eager: {steps * eager[20, 200] / 60e3:.1f} min")
if cuda:
    print(f"CUDA kernels per eager step (20 blocks, batch 200): {kernels_per_step(rng):.0f}", flush=True)
    print(f"paper setting as CUDA graphs: {steps * graph[20, 200] / 60e3:.1f} min")
    for key in graph:
        print(f"RATIO eager / graph, {key[0]} blocks, batch {key[1]}: {eager[key] / graph[key]:.1f}x")
