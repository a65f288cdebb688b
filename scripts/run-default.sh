#!/usr/bin/env bash
# The main job on the built-in default: installs what it needs, then `mixbit run` takes the trained default model
# (MobileNetV1 0.25 on Fashion-MNIST, models/README.md) to the STM32G071 preset (128 kB FLASH / 36 kB RAM), where
# uniform 8-bit does not fit: memory analysis, DDPG search with the rule-based and uniform baselines, QAT of the chosen
# policy, the integer-only model, and the report (runs/default/report.html). Running it again resumes an interrupted
# run. Extra arguments go to `mixbit run` (e.g. --quick for the short form, --out DIR, --board B).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
args=("$@")
[[ " ${args[*]} " == *" --out "* || " ${args[*]} " == *" -o "* ]] || args+=(--out "${MIXBIT_RUN_DIR:-$root/runs/default}")
[[ " ${args[*]} " == *" --board "* || " ${args[*]} " == *" --flash "* ]] || args+=(--board stm32g071)
exec "$root/scripts/mixbit" run "${args[@]}"
