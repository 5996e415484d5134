"""What the benchmark scripts share: the device line they print and best-of-n timing with a GPU synchronized."""

import platform, time
import numpy as np, torch


def device_name(dev: torch.device) -> str:
    "The GPU's name, or the CPU's with the thread count torch uses"
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def sync(dev: torch.device):
    "Wait for the GPU's queued work (nothing to wait for on a CPU), so that a wall-clock timer measures it"
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def best_of(f, repeats: int, dev: torch.device) -> tuple:
    "(fastest seconds of `repeats` calls of f, the last call's result); a GPU is synchronized around each call"
    best, out = np.inf, None
    for _ in range(repeats):
        sync(dev)
        t = time.perf_counter()
        out = f()
        sync(dev)
        best = min(best, time.perf_counter() - t)
    return best, out
