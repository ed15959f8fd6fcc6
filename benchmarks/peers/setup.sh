#!/usr/bin/env bash
# Virtual environments for the peers that benchmarks/speed.py measures lstmcast against.
#
#   bash benchmarks/peers/setup.sh [tf] [jax] [torch]     (default: all three)
#
# Each peer gets its own environment under benchmarks/peers/.venv-<name>, built
# from the pinned versions below, so that no peer's packages can change another's
# (or lstmcast's) speed. An environment that fails to build is removed and
# reported; speed.py then skips that peer with a message.
set -u
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
KERAS=keras==3.15.1
declare -A PACKAGES=(
  [tf]="tensorflow-cpu==2.21.0 $KERAS"
  [jax]="jax==0.10.2 jaxlib==0.10.2 $KERAS"
  # a CPU build of torch first: a bare torch requirement would pull a CUDA build
  [torch]="torch==2.13.0 $KERAS"
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
  if "$PYTHON" -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip \
      && "$venv/bin/pip" install -q ${PACKAGES[$peer]} numpy; then
    touch "$venv/.complete"
  else
    echo "$peer: could not build $venv; speed.py will skip this peer" >&2
    rm -rf "$venv"; status=1
  fi
done
exit $status
