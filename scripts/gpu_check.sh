#!/usr/bin/env bash
# The GPU check (issue 15): EGL rendering, bf16 training and scoring speed of the GPU preset,
# and a 2-GPU DDP smoke run, in at most about 8 minutes; JSON to bench/gpu_check.json.
#   scripts/gpu_check.sh              # on a GPU machine
#   scripts/gpu_check.sh --dry-run    # the same steps at toy sizes on a CPU (< 2 minutes)
# Extra arguments go to scripts/gpu_check.py (--out, --work, --steps).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" MUJOCO_GL="${MUJOCO_GL:-egl}"
exec timeout 540 "$PY" scripts/gpu_check.py "$@"
