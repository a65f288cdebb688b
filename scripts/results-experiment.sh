#!/usr/bin/env bash
# The experiment behind docs/RESULTS.md: MobileNetV1, MobileNetV2 and MNasNet on Fashion-MNIST under a FLASH-only and a
# FLASH+RAM budget between what uniform 2-bit and uniform 8-bit need (scripts/results_budgets.py says how), with the
# best uniform policy that fits, the rule-based policy, the exact optimiser and the DDPG search (seeds), each after
# calibration and (uniform, rule, exact, DDPG) after the same short QAT; uniform 8-bit for reference; and, at the weight
# memory of k-means weights (2 and 4 bits, codebooks counted), the searched uniform mixed precision against k-means.
# Resumable: every step is skipped when its result exists, an interrupted search or QAT continues (search-experiment.sh).
# Results: $out/<model>/..., tabulated by scripts/results_report.py into docs/RESULTS.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${MIXBIT_RESULTS_DIR:-$root/runs/results}"
models=(${MODELS:-mobilenet_v1 mobilenet_v2 mnasnet})
export EPISODES="${EPISODES:-300}" SEEDS="${SEEDS:-0 1}" QAT_EPOCHS="${QAT_EPOCHS:-1}" QAT_IMAGES="${QAT_IMAGES:-10000}"
kmeans_bits=(${KMEANS_BITS:-2 4}) # KMEANS_SEEDED=ddpg adds a DDPG search (seed 0) to the exact optimiser there
# BUDGET_STRATEGIES: the single-run strategies on the two budgets (default uniform rule exact)
mixbit() { "$root/scripts/mixbit" "$@"; }
budget_tool() { /usr/bin/env python3 "$root/scripts/results_budgets.py" "$@"; }
json_to() { # json_to FILE command... : keeps a --json command's stdout only if it succeeded
  local file="$1"; shift
  [ -f "$file" ] && return 0
  "$@" > "$file.tmp" && mv "$file.tmp" "$file"
}
no_budget=(--flash 64MB --ram 64MB) # analyze needs a device; its figures for a policy do not depend on it

for name in "${models[@]}"; do
  model="$root/models/${name}_w0.25_fmnist.onnx"
  [ -f "$model" ] || { echo "error: $model is missing; train it as models/README.md says" >&2; exit 1; }
  dir="$out/$name"; mkdir -p "$dir"
  echo "=== $name"
  json_to "$dir/analyze.json" mixbit analyze --model "$model" "${no_budget[@]}" --json
  json_to "$dir/uniform8-test.json" mixbit quantize --model "$model" --w-bits 8 --a-bits 8 --split test --json
  if [ "$name" = mobilenet_v1 ]; then
    # The default model keeps the budgets of docs/SEARCH.md (the positions the other models' budgets are taken from).
    budgets="flash-only:--board=stm32g071,--flash-reserve=19kB,--ram-reserve=1kB flash-ram:--flash=128kB,--ram=10kB"
  else
    budgets="$(budget_tool budgets "$dir/analyze.json")"
  fi
  MIXBIT_MODEL="$model" MIXBIT_EXPERIMENT_DIR="$dir" BUDGETS="$budgets" STRATEGIES="${BUDGET_STRATEGIES-uniform rule exact}" SEEDED="ddpg" NO_REPORT=1 \
    "$root/scripts/search-experiment.sh"

  # k-means weights against uniform mixed precision at the same weight memory (activations 8-bit on both sides).
  for bits in "${kmeans_bits[@]}"; do
    kdir="$dir/kmeans-w$bits"; mkdir -p "$kdir"
    [ -f "$kdir/uniform-policy.json" ] || budget_tool uniform-policy "$dir/analyze.json" "$bits" > "$kdir/uniform-policy.json"
    json_to "$kdir/uniform-analyze.json" mixbit analyze --model "$model" --policy "$kdir/uniform-policy.json" "${no_budget[@]}" --json
    json_to "$kdir/memory.json" budget_tool kmeans "$dir/analyze.json" "$kdir/uniform-analyze.json" "$bits"
    json_to "$kdir/kmeans-test.json" mixbit quantize --model "$model" --kmeans --w-bits "$bits" --a-bits 8 --split test --json
    # A codebook per layer cannot span channels that folding BatchNorm scaled apart: the same with BatchNorm kept.
    json_to "$kdir/kmeans-bn-keep-test.json" mixbit quantize --model "$model" --kmeans --bn keep --w-bits "$bits" --a-bits 8 --split test --json
    json_to "$kdir/uniform-test.json" mixbit quantize --model "$model" --policy "$kdir/uniform-policy.json" --split test --json
    opts="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["options"])' "$kdir/memory.json")"
    MIXBIT_MODEL="$model" MIXBIT_EXPERIMENT_DIR="$kdir" BUDGETS="mixed:$opts" STRATEGIES="exact" SEEDED="${KMEANS_SEEDED:-}" SEEDS="0" \
      NO_QAT=1 NO_REPORT=1 "$root/scripts/search-experiment.sh"
  done
done
[ -n "${NO_REPORT:-}" ] || /usr/bin/env python3 "$root/scripts/results_report.py" "$out"
