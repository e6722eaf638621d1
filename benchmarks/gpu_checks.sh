#!/usr/bin/env bash
# GPU checks for a CUDA machine with keras, torch and this package importable.
# Trains the digits example to >= 0.90 validation accuracy and the MNIST CNN on
# synthetic 28x28 data on the GPU, with and without mixed precision, then runs
# the training-speed benchmark. Writes logs to ${OUT:-/tmp/kc_gpu}.
set -uo pipefail
out="${OUT:-/tmp/kc_gpu}"
mkdir -p "$out"
export KERAS_BACKEND=torch PYTHONUNBUFFERED=1
kc() { python3 -m kerascanvas.app "$@"; }

nvidia-smi -L
python3 -c "import torch, keras; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'keras', keras.__version__)"

echo "== digits example on cuda (target: val_accuracy >= 0.90 within 15 epochs)"
kc run resources/examples/digits_cnn.json --device cuda --no-progress \
   --log "$out/digits.jsonl" --save "$out/digits.keras"
echo "exit $?"

echo "== MNIST CNN, synthetic 28x28 data, cuda"
kc run resources/examples/mnist_cnn.json --device cuda --data synthetic:8192 --epochs 2 \
   --no-progress --log "$out/mnist_cnn.jsonl"
echo "exit $?"

for policy in mixed_float16 mixed_bfloat16; do
  echo "== MNIST CNN, $policy, cuda"
  kc run resources/examples/mnist_cnn.json --device cuda --data synthetic:8192 --epochs 2 \
     --mixed-precision "$policy" --no-progress --log "$out/mnist_cnn_$policy.jsonl" \
     --save "$out/mnist_cnn_$policy.keras"
  echo "exit $?"
  python3 - "$out/mnist_cnn_$policy.keras" <<'PY'
import sys, keras
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
print("policy", model.dtype_policy.name, "| output layer", model.layers[-1].name,
      "dtype", model.layers[-1].dtype_policy.name, "| output", model.outputs[0].dtype)
PY
done

echo "== training speed"
python3 benchmarks/bench_train_speed.py --device cuda --rounds 8
