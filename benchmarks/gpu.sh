#!/usr/bin/env bash
# lstmcast on a CUDA GPU against a hand-written PyTorch loop and Keras 3 (torch and jax
# backends, where they import), at batch 200 and at a large batch. One short script:
# a few minutes on an H100. Prints the card and one JSON line per run.
#
#   bash benchmarks/gpu.sh                  # with the project's .venv, or PY=python3
#
# The data is resident on the GPU for lstmcast and the PyTorch loop (lstmcast moves
# in-memory arrays to the device once; the loop does the same by hand). bfloat16
# autocast is measured as lstmcast's option. Alternating rounds, as in speed.py.
set -u
cd "$(dirname "$0")"
PY=${PY:-../.venv/bin/python}
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
  --format=csv,noheader
"$PY" -c "import sys, torch; torch.cuda.is_available() or sys.exit( \
'no CUDA device visible to torch: benchmarks/gpu.sh needs a GPU and a CUDA build of torch'); \
print('torch', torch.__version__, torch.cuda.get_device_name(0))" || exit 1
SAMPLES=${SAMPLES:-100000}
ROUNDS=${ROUNDS:-3}
run() {  # label, then worker arguments
  local label=$1; shift
  local out
  if out=$(timeout 300 "$@" --samples "$SAMPLES" --epochs 2 2>/dev/null | tail -1); then
    echo "{\"label\": \"$label\", \"batch\": $BATCH, \"result\": $out}"
  else
    echo "{\"label\": \"$label\", \"batch\": $BATCH, \"skipped\": true}"
  fi
}
for BATCH in 200 4096; do
  for round in $(seq "$ROUNDS"); do
    run "lstmcast Sequential" "$PY" speed_worker.py sequential --device cuda --batch $BATCH
    run "lstmcast Sequential, bfloat16" "$PY" speed_worker.py sequential --device cuda \
      --precision bfloat16 --batch $BATCH
    run "PyTorch, hand-written loop" "$PY" speed_worker.py torch-loop --device cuda --batch $BATCH
    for backend in torch jax; do
      if KERAS_BACKEND=$backend "$PY" -c "import keras" 2>/dev/null; then
        run "Keras 3 + $backend" env KERAS_BACKEND=$backend "$PY" speed_worker.py keras \
          --batch $BATCH
      fi
    done
  done
done
# Data-parallel: one process per GPU of this node (NCCL), against one process on one GPU,
# the same global batch; writes docs/distributed-gpu.md.
GPUS=$("$PY" -c "import torch; print(torch.cuda.device_count())")
if [ "$GPUS" -gt 1 ]; then
  PROCS=1; n=2; while [ "$n" -le "$GPUS" ]; do PROCS="$PROCS,$n"; n=$((n * 2)); done
  timeout 1800 "$PY" distributed.py --device cuda --procs "$PROCS" --samples "$SAMPLES" \
    --batch 4096 --out ../docs/distributed-gpu.md || echo '{"distributed": "failed"}'
else
  echo '{"distributed": "skipped: one GPU on this node"}'
fi
# Many series from a Parquet folder read in shards, on the GPU: about 20,000 series of
# 200 rows (1 GiB of rows), peak memory and throughput against the table in memory;
# writes docs/streaming-gpu/streaming.md.
timeout 1800 "$PY" streaming.py --device cuda --sizes-gb 1 --series-rows 200 \
  --series-per-file 500 --speed-rows 2000000 --out ../docs/streaming-gpu \
  || echo '{"streaming": "failed"}'
