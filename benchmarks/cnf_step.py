"""Where a cNF training step's time goes on a GPU: texture_al.cnf.train's eager steps against the same step replayed
as a CUDA graph, same process.

Prints the time of one tiny kernel launch, the eager step time of `train` (20 and 8 blocks, batch 200 and 2,000),
the CUDA kernels per step (torch.profiler), and the step time of the paper's network captured once with
`torch.cuda.graph` (forward, backward, clipping and a capturable Adam step) and replayed. A step time that does not
grow with the batch is the host launching kernels, not the GPU computing; the ratio eager / graph is what capturing
the step would save. On a CPU only the eager steps are timed.

usage: PYTHONPATH=. python benchmarks/cnf_step.py [--device cuda|cpu] [--threads N]
"""

import argparse, time
import numpy as np, torch
from timing import device_name, sync
from texture_al.cli import set_threads
from texture_al.cnf import CNF, build_inn, train

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


def eager_step_ms(blocks: int, batch: int, rng) -> float:
    "Milliseconds per optimizer step of `train` (2 epochs of 25 steps, after one warm-up epoch)"
    n = batch * 25
    m, P = rng.normal(size=(n, 36)), rng.normal(size=(n, 54))
    flow = CNF(blocks=blocks).to(dev)
    train(flow, m, P, epochs=1, batch=batch, progress=False)
    sync(dev)
    t = time.perf_counter()
    train(flow, m, P, epochs=2, batch=batch, progress=False)
    sync(dev)
    return (time.perf_counter() - t) / 50 * 1e3


def kernels_per_step(rng) -> float:
    "CUDA kernels per step of `train` with the paper's network, batch 200 (torch.profiler over one 10-step epoch)"
    from torch.profiler import profile, ProfilerActivity

    flow = CNF(blocks=20).to(dev)
    m, P = rng.normal(size=(2000, 36)), rng.normal(size=(2000, 54))
    train(flow, m, P, epochs=1, batch=200, progress=False)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        train(flow, m, P, epochs=1, batch=200, progress=False)
        sync(dev)
    return sum(e.count for e in prof.key_averages() if e.device_type.name == "CUDA") / 10


def graph_step_ms(batch: int, reps: int = 300) -> float:
    "Milliseconds per replay of the paper network's whole training step captured as one CUDA graph"
    inn = build_inn(36, 54, blocks=20).to(dev)
    opt = torch.optim.Adam(inn.parameters(), lr=0.01, capturable=True)
    x, c = torch.randn(batch, 36, device=dev), torch.randn(batch, 54, device=dev)

    def step():
        z, lj = inn(x, c=[c])
        loss = (0.5 * (z**2).sum(1) - lj).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(inn.parameters(), 1.0)
        opt.step()
        return loss

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up on a side stream, as capture requires
        for _ in range(3):
            opt.zero_grad(set_to_none=False)
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=False)
    with torch.cuda.graph(graph):
        step()
    for _ in range(5):
        graph.replay()
    sync(dev)
    t = time.perf_counter()
    for _ in range(reps):
        graph.replay()
    sync(dev)
    return (time.perf_counter() - t) / reps * 1e3


rng = np.random.default_rng(0)
if cuda:
    print(f"tiny kernel: {launch_us():.1f} us per launch", flush=True)
eager = {}
for blocks, batch in ((20, 200), (20, 2000), (8, 200)):
    eager[blocks, batch] = eager_step_ms(blocks, batch, rng)
    print(f"train, {blocks} blocks, batch {batch}: {eager[blocks, batch]:.1f} ms per step", flush=True)
steps = 70 * -(-54480 // 200)
print(f"paper setting ({steps:,} steps of batch 200) at the eager rate: {steps * eager[20, 200] / 60e3:.1f} min")
if cuda:
    print(f"CUDA kernels per step (20 blocks, batch 200): {kernels_per_step(rng):.0f}", flush=True)
    graph = {b: graph_step_ms(b) for b in (200, 2000)}
    for b, ms in graph.items():
        print(f"CUDA graph, 20 blocks, batch {b}: {ms:.2f} ms per step")
    print(f"RATIO eager / graph at batch 200: {eager[20, 200] / graph[200]:.1f}x; paper setting as graphs: "
          f"{steps * graph[200] / 60e3:.1f} min")
