#!/usr/bin/env bash
# The main job on the built-in default: installs what it needs, trains the default model (MobileNetV1, width
# 0.25, 28x28) on Fashion-MNIST, evaluates it, analyses its memory for an MCU preset where uniform 8-bit does not
# fit (STM32G071: 128 kB FLASH / 36 kB RAM), and measures the accuracy of the rule-based policy that does fit.
# A finished training run is reused; an interrupted one resumes from its last epoch.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
out="${MIXBIT_RUN_DIR:-$root/runs/default}"
board="${MIXBIT_BOARD:-stm32g071}"
mixbit() { "$root/scripts/mixbit" "$@"; }
if [ ! -f "$out/model.onnx" ]; then
  resume=()
  [ -f "$out/model.onnx.checkpoint" ] && resume=(--resume)
  mixbit train --output "$out/model.onnx" "${resume[@]}"
fi
mixbit eval "$out/model.onnx"
echo
echo "== quantized, uniform 8-bit (calibration only) =="
mixbit quantize --model "$out/model.onnx" --w-bits 8 --a-bits 8
echo
echo "== memory on $board =="
mixbit analyze --model "$out/model.onnx" --board "$board" --save-policy "$out/rule-based.$board.policy.json"
echo
echo "== rule-based policy that fits $board (calibration only) =="
mixbit quantize --model "$out/model.onnx" --policy "$out/rule-based.$board.policy.json"
