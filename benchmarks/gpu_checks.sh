#!/usr/bin/env bash
# The benchmarks' GPU measurements in one go, on a CUDA machine, most wanted first: the `#| gpu` test cells, where a
# cNF step's time goes (eager against a CUDA graph), one paper-scale iteration (cNF timed over 3 epochs and scaled to
# the paper's 70), the medium campaign's first and last iterations (tiled pool) and, given its dataset, the medium
# campaign itself for a limited time; then the component benchmarks. Every step has a time limit, so one that hangs
# costs only its own; each prints its own lines (device, sizes, RATIO). At most 14 minutes (every step at its limit).
#
#   bash benchmarks/gpu_checks.sh [out-dir (runs/gpu)] [medium dataset (runs/medium.h5)] [medium campaign seconds (120)]
set -u
out=${1:-runs/gpu}
medium=${2:-runs/medium.h5}
medium_s=${3:-120}
mkdir -p "$out"
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}. PYTHONUNBUFFERED=1

step() {
    local limit=$1 start=$SECONDS
    shift
    echo "=== $* (limit $limit s)"
    timeout "$limit" "$@"
    echo "=== exit $? after $((SECONDS - start)) s"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name())"
step 90 env TEXTURE_AL_TEST_FLAGS=gpu python3 -m pytest -q -p no:cacheprovider nbs/00_gsh.ipynb nbs/02_taylor.ipynb nbs/05_cnf.ipynb
step 90 python3 benchmarks/cnf_step.py --device cuda
step 150 python3 benchmarks/campaign.py --paper-iteration --epochs 3 --device cuda
step 60 python3 benchmarks/campaign.py --preset medium --tiled-pool 5000 --n-obs 10 --device cuda
step 90 python3 benchmarks/campaign.py --preset medium --tiled-pool 5000 --n-obs 300 --device cuda
if [ -f "$medium" ]; then
    step "$medium_s" python3 -c "import sys; from texture_al.cli import main; sys.exit(main(sys.argv[1:]))" \
        run --preset medium --dataset "$medium" --device cuda --out "$out/medium" --quiet
    python3 - "$out/medium" <<'PY'
import glob, sys
from texture_al.loop import load_run
for d in sorted(glob.glob(f"{sys.argv[1]}/*/")):
    m = load_run(d)["metrics"]
    print(f"{d}: {len(m['n_obs'])} iterations")
    for i, n in enumerate(m["n_obs"]):
        steps = ("gp", "synthetic", "cnf", "eval", "select", "oracle", "iteration")
        print(f"  N {n:.0f}: " + ", ".join(f"{k} {m['t_' + k][i]:.2f}" for k in steps))
PY
fi
step 60 python3 benchmarks/ivr_batch.py --device cuda
step 60 python3 benchmarks/gp_step.py --device cuda
step 40 python3 benchmarks/gsh_coefficients.py --device cuda
step 90 python3 benchmarks/mogp.py --device cuda --steps 5
