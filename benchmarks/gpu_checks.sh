#!/usr/bin/env bash
# GPU checks for a CUDA machine that has torch (keras and the rest come from .whl/).
# One prepared run, in parts, the most important first:
#   tests   the captured-step tests (replay equals Keras' fit, dropout masks, a rate
#           changed mid-run, every callback, NaN termination, save and continue)
#   digits  the digits example (target: validation accuracy >= 0.90)
#   speed   the training-speed benchmark at batch 128 (MLP, CNN, small ResNet,
#           ResNet50-size; targets a/c >= 0.9 MLP and CNN, >= 0.85 ResNets, a/b >= 4,
#           d/a >= 0.97)
#   mixed   the MNIST CNN without and with mixed precision (float16, bfloat16)
#   ddp     data-parallel runs (torchrun, nccl, one rank per GPU)
#   search  a 2-trial design-space search
# Usage: bash benchmarks/gpu_checks.sh [PART...]   (no part: all, in the order above)
# A part starts only while KC_BUDGET_S seconds (default 540) have not run out, so one
# call of at most 10 minutes comes back with what it measured. Each part prints which
# training step ran (the "Executor:" line). Logs go to ${OUT:-/tmp/kc_gpu}; the run
# ends with one summary line per part.
# Setup: where keras is missing, the wheels in .whl/ are installed (fetch them on a
# machine with the package index: bash benchmarks/gpu_wheels.sh), and this checkout is
# installed in place, with nothing downloaded.
set -uo pipefail
out="${OUT:-/tmp/kc_gpu}"
mkdir -p "$out"
export KERAS_BACKEND=torch PYTHONUNBUFFERED=1
start=$SECONDS
budget=${KC_BUDGET_S:-540}
summary=()
note() { summary+=("$1: $2"); echo "== $1: $2"; }
kc() { python3 -m kerascanvas.app "$@"; }

if ! python3 -c "import keras" 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps .whl/*.whl || note "setup" "wheels failed"
fi
if ! python3 -c "import kerascanvas" 2>/dev/null; then
  python3 -m pip install -q --no-deps --no-build-isolation -e . || note "setup" "install failed"
fi
nvidia-smi -L
python3 -c "import torch, keras; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'keras', keras.__version__)"

part_tests() {
echo "== captured CUDA-graph step: tests (they skip without a GPU)"
python3 -m pytest -q -p no:cacheprovider -rs tests/runtime/test_executor_cuda.py \
  2>&1 | tee "$out/cuda_tests.txt" | tail -15
note "cuda tests" "$(tail -1 "$out/cuda_tests.txt")"
}

part_digits() {
echo "== digits example on cuda (target: val_accuracy >= 0.90)"
kc run resources/examples/digits_cnn.json --device cuda --no-progress \
   --log "$out/digits.jsonl" --save "$out/digits.keras" 2>&1 | tee "$out/digits.txt"
note "digits exit" "$?"
python3 - "$out/digits.jsonl" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
ends = [e for e in events if e["event"] == "epoch_end"]
best = max(e["logs"].get("val_accuracy", 0.0) for e in ends)
print("executor:", next((e["message"] for e in events if e["event"] == "executor"), "?"))
print(f"digits best val_accuracy {best:.4f}:", "PASS" if best >= 0.90 else "FAIL")
PY
}

part_speed() {
echo "== training speed, batch 128 (targets: a/c >= 0.9 MLP and CNN, >= 0.85 ResNets;"
echo "   a/b >= 4; d/a >= 0.97)"
python3 benchmarks/bench_train_speed.py --device cuda --batch 128 --rounds 5 \
  --models mlp,cnn,resnet,resnet50 2>&1 | tee "$out/speed.txt"
note "speed exit" "$?"
}

part_mixed() {
for policy in off mixed_float16 mixed_bfloat16; do
  echo "== MNIST CNN, synthetic 28x28 data, cuda, precision $policy"
  kc run resources/examples/mnist_cnn.json --device cuda --data synthetic:8192 --epochs 2 \
     --mixed-precision "$policy" --no-progress --log "$out/mnist_cnn_$policy.jsonl" \
     --save "$out/mnist_cnn_$policy.keras" 2>&1 | tee "$out/mnist_cnn_$policy.txt"
  note "mnist $policy exit" "$?"
  python3 - "$out/mnist_cnn_$policy.keras" <<'PY'
import sys, keras
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
print("policy", model.dtype_policy.name, "| output layer", model.layers[-1].name,
      "dtype", model.layers[-1].dtype_policy.name, "| output", model.outputs[0].dtype,
      "| optimizer", type(model.optimizer).__name__, "steps", int(model.optimizer.iterations))
PY
done
}

part_ddp() {
echo "== data-parallel (torchrun, nccl): digits and MNIST CNN on one rank per GPU"
ngpu=$(python3 -c "import torch; print(torch.cuda.device_count())")
for n in 1 $([ "$ngpu" -ge 2 ] && echo 2); do
  kc run resources/examples/digits_cnn.json --device cuda --nproc-per-node "$n" --no-progress \
     --log "$out/digits_ddp$n.jsonl" 2>&1 | tee "$out/digits_ddp$n.txt" | tail -5
  note "digits ddp nproc=$n exit" "$?"
  kc run resources/examples/mnist_cnn.json --device cuda --nproc-per-node "$n" \
     --data synthetic:8192 --epochs 2 --no-progress 2>&1 | tail -3
  note "mnist ddp nproc=$n exit" "$?"
done
}

part_search() {
echo "== design-space search, 2 trials on the GPU"
kc search resources/examples/digits_search.json --trials 2 --epochs 2 --device cuda --json \
   --storage "sqlite:///$out/study.db" 2>&1 | tail -20
note "search exit" "$?"
}

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(tests digits speed mixed ddp search)
for part in "${parts[@]}"; do
  left=$((budget - (SECONDS - start)))
  if [ "$left" -lt 60 ]; then note "$part" "skipped, $left s of the budget left"; continue; fi
  echo "== part $part ($left s of the budget left)"
  "part_$part"
done

printf '%s\n' "${summary[@]}"
