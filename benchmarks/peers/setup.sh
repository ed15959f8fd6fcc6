#!/usr/bin/env bash
# Virtual environments for the peers that benchmarks/speed.py measures lstmcast against.
#
#   bash benchmarks/peers/setup.sh [tf] [jax] [torch]     (default: all three)
#   bash benchmarks/peers/setup.sh neuralforecast darts   (built only when named)
#
# neuralforecast and darts are the peers of benchmarks/longhorizon.py (their LSTMs,
# run by benchmarks/peers/longhorizon_peer.py with the venv's python).
#
# Each peer gets its own environment under benchmarks/peers/.venv-<name>, built
# from the pinned versions below, so that no peer's packages can change another's
# (or lstmcast's) speed. An environment that fails to build is removed and
# reported; speed.py then skips that peer with a message.
set -u
set -f  # no globbing: the package lists hold brackets (darts[torch])
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
KERAS=keras==3.15.1
declare -A PACKAGES=(
  [tf]="tensorflow-cpu==2.21.0 $KERAS"
  [jax]="jax==0.10.2 jaxlib==0.10.2 $KERAS"
  # a CPU build of torch first: a bare torch requirement would pull a CUDA build
  [torch]="torch==2.13.0 $KERAS"
  [neuralforecast]="neuralforecast==3.3.0"
  # the torch extra brings pytorch-lightning; without it darts' neural models are stubs
  [darts]="darts[torch]==0.48.1"
)
# Installed before the packages above, in a step of its own, so that the peer's
# torch requirement is already met by the CPU build and pip does not pull a CUDA one
# (the pin is repeated in the second step, so pip cannot replace it there either).
declare -A FIRST=(
  [neuralforecast]="torch==2.13.0"
  [darts]="torch==2.13.0"
)
# What must import in the finished environment.
declare -A CHECK=(
  [neuralforecast]="import torch, neuralforecast; from neuralforecast.models import LSTM; assert torch.__version__.startswith('2.13.0'), torch.__version__"
  [darts]="import torch, darts; from darts.models.forecasting.block_rnn_model import BlockRNNModel; assert torch.__version__.startswith('2.13.0'), torch.__version__"
)
peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(tf jax torch)
status=0
for peer in "${peers[@]}"; do
  venv=".venv-$peer"
  if [ -z "${PACKAGES[$peer]+x}" ]; then
    echo "unknown peer '$peer' (choose from: ${!PACKAGES[*]})" >&2; status=2; continue
  fi
  if [ -x "$venv/bin/python" ] && [ -f "$venv/.complete" ]; then
    echo "$peer: $venv is ready"; continue
  fi
  rm -rf "$venv"
  echo "$peer: building $venv with ${PACKAGES[$peer]}"
  first=${FIRST[$peer]:-}
  if "$PYTHON" -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip \
      && { [ -z "$first" ] || "$venv/bin/pip" install -q $first; } \
      && "$venv/bin/pip" install -q $first ${PACKAGES[$peer]} numpy \
      && { [ -z "${CHECK[$peer]+x}" ] || OMP_NUM_THREADS=1 "$venv/bin/python" -c "${CHECK[$peer]}"; }; then
    touch "$venv/.complete"
  else
    echo "$peer: could not build $venv; the benchmark will skip this peer" >&2
    rm -rf "$venv"; status=1
  fi
done
exit $status
