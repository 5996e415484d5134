#!/usr/bin/env bash
# The benchmarks' GPU measurements in one go, on a CUDA machine, most wanted first: the `#| gpu` test cells, where a
# cNF step's time goes (eager against a CUDA graph), one paper-scale iteration as the `paper` preset trains its flow
# (batch 2,000, cosine-annealed rate: `benchmarks/batch_size.py`; cNF timed over 5 epochs, the rest extrapolated at the
# later epochs' rate), the same at the paper's batch of 200 and constant rate (3 epochs) and, given its
# dataset, the medium campaign for a limited time twice, with the flow's steps graphed and eager
# (`--set cuda_graph=false`), so that their times and test NLL stand side by side; then the component benchmarks.
# Every step has a time limit, so one that hangs costs only its own; each prints its own lines (device, sizes, RATIO).
# At most about 14 minutes (every step at its limit, medium runs at 100 s).
#
#   bash benchmarks/gpu_checks.sh [out-dir (runs/gpu)] [medium dataset (runs/medium.h5)] [medium campaign seconds (100)]
set -u
out=${1:-runs/gpu}
medium=${2:-runs/medium.h5}
medium_s=${3:-100}
mkdir -p "$out"
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}. PYTHONUNBUFFERED=1

step() {
    local limit=$1 start=$SECONDS
    shift
    echo "=== $* (limit $limit s)"
    timeout "$limit" "$@"
    echo "=== exit $? after $((SECONDS - start)) s"
}

medium_run() {  # a medium campaign cut after $medium_s seconds into $out/<name>, then its per-iteration times
    local name=$1
    shift
    step "$medium_s" python3 -c "import sys; from texture_al.cli import main; sys.exit(main(sys.argv[1:]))" \
        run --preset medium --dataset "$medium" --device cuda --out "$out/$name" --quiet "$@"
    python3 - "$out/$name" <<'PY'
import glob, sys
from texture_al.loop import load_run
for d in sorted(glob.glob(f"{sys.argv[1]}/*/")):
    m = load_run(d)["metrics"]
    n = len(m["n_obs"])
    print(f"{d}: {n} iterations; the first {min(n, 9)} took {sum(m['t_iteration'][:9]):.1f} s")
    for i in range(n):
        steps = ("gp", "synthetic", "cnf", "eval", "select", "oracle", "iteration")
        times = ", ".join(f"{k} {m['t_' + k][i]:.2f}" for k in steps)
        print(f"  N {m['n_obs'][i]:.0f}: {times}; test NLL {m['test_nll'][i]:.3f}")
PY
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, torch.cuda.get_device_name())"
step 150 env TEXTURE_AL_TEST_FLAGS=gpu python3 -m pytest -q -p no:cacheprovider nbs/00_gsh.ipynb nbs/02_taylor.ipynb nbs/05_cnf.ipynb
step 90 python3 benchmarks/cnf_step.py --device cuda
step 60 python3 benchmarks/campaign.py --paper-iteration --epochs 5 --batch 2000 --schedule cosine --device cuda
step 90 python3 benchmarks/campaign.py --paper-iteration --epochs 3 --device cuda
if [ -f "$medium" ]; then
    medium_run medium-graphed
    medium_run medium-eager --set cuda_graph=false
fi
step 60 python3 benchmarks/ivr_batch.py --device cuda
step 60 python3 benchmarks/gp_step.py --device cuda
step 40 python3 benchmarks/gsh_coefficients.py --device cuda
step 90 python3 benchmarks/mogp.py --device cuda --steps 5
