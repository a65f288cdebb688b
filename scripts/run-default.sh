#!/usr/bin/env bash
# The main job on the built-in default: installs what it needs, trains the default model (MobileNetV1, width
# 0.25, 28x28) on Fashion-MNIST, evaluates it, and analyses its memory against MCU budgets.
# A finished training run is reused; an interrupted one resumes from its last epoch.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
out="${MIXBIT_RUN_DIR:-$root/runs/default}"
mixbit() { "$root/scripts/mixbit" "$@"; }
if [ ! -f "$out/model.onnx" ]; then
  resume=()
  [ -f "$out/model.onnx.checkpoint" ] && resume=(--resume)
  mixbit train --output "$out/model.onnx" "${resume[@]}"
fi
mixbit eval "$out/model.onnx"
mixbit analyze --model "$out/model.onnx" --board stm32g071
