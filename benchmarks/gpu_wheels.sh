#!/usr/bin/env bash
# Fetches into .whl/ (git-ignored) the wheels a CUDA machine without a package index
# needs to run benchmarks/gpu_checks.sh: keras and the project's dependencies that such
# an image usually lacks (its python3 already holds torch, numpy, h5py, tensorboard...).
# Run it where pip reaches the index; PY selects the target Python (default 3.12).
set -euo pipefail
py="${PY:-3.12}"
mkdir -p .whl
python3 -m pip download -q -d .whl --no-deps --only-binary=:all: --python-version "$py" \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 \
  "keras==3.15.*" namex optree optuna alembic sqlalchemy mako colorlog \
  jsonschema jsonschema-specifications referencing rpds-py platformdirs cmaes
ls .whl
