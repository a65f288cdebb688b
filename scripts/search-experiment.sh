#!/usr/bin/env bash
# The experiment behind docs/SEARCH.md: every search strategy on the default model under two budgets that uniform 8-bit
# does not fit, the seeded strategies (ddpg, random) over three seeds; each final policy evaluated on the test set after
# calibration; then the same short QAT for the DDPG, rule-based, exact and best uniform policies, evaluated on the test set.
# Resumable: a finished step is skipped, an interrupted search continues from its log (--resume), an interrupted QAT
# from its checkpoint. STRATEGIES, SEEDED, SEEDS, EPISODES, QAT_EPOCHS, QAT_IMAGES, BUDGETS, NO_QAT and NO_REPORT
# narrow or change the defaults; SEARCH_OPTIONS adds options to every search (e.g. "--finetune-images 1000") (scripts/results-experiment.sh uses them).
# Results: $out/**/{summary,test,qat-test}.json, tabulated by scripts/search_report.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${MIXBIT_MODEL:-$root/models/mobilenet_v1_w0.25_fmnist.onnx}"
out="${MIXBIT_EXPERIMENT_DIR:-$root/runs/search-experiment}"
episodes="${EPISODES:-300}"
seeds=(${SEEDS:-0 1 2})
qat_epochs="${QAT_EPOCHS:-1}"
qat_images="${QAT_IMAGES:-10000}"
# name:options of each budget (see docs/SEARCH.md for how they were chosen).
budgets=(${BUDGETS:-"tight:--flash=128kB,--ram=10kB" "g071:--board=stm32g071"})
single=(${STRATEGIES-uniform rule greedy exact}) # strategies run once (seed 0)
seeded=(${SEEDED-ddpg random})                     # strategies run once per seed
mixbit() { "$root/scripts/mixbit" "$@"; }

json_to() { # json_to FILE command... : runs a --json command and keeps its stdout only if it succeeded
  local file="$1"; shift
  [ -f "$file" ] && return 0
  "$@" > "$file.tmp" && mv "$file.tmp" "$file"
}

search() { # search BUDGET_NAME BUDGET_OPTIONS STRATEGY SEED
  local dir="$out/$1/$3-s$4"
  local opts; IFS=',' read -ra opts <<< "$2"
  if [ ! -f "$dir/summary.json" ]; then
    local resume=(); [ -f "$dir/search.json" ] && resume=(--resume)
    echo "== search $1 $3 seed $4"
    mixbit search --model "$model" "${opts[@]}" --strategy "$3" --episodes "$episodes" --seed "$4" --out "$dir" "${resume[@]}" ${SEARCH_OPTIONS:-}
  fi
  json_to "$dir/test.json" mixbit quantize --model "$model" --policy "$dir/policy.json" --split test --json
}

qat() { # qat DIR: the same short QAT for the policy in DIR, then its test accuracy
  local dir="$1"
  if [ ! -f "$dir/qat.onnx" ]; then
    local resume=(); [ -f "$dir/qat.onnx.checkpoint" ] && resume=(--resume)
    echo "== QAT $dir"
    mixbit finetune --model "$model" --policy "$dir/policy.json" --epochs "$qat_epochs" --train-count "$qat_images" -o "$dir/qat.onnx" "${resume[@]}"
  fi
  json_to "$dir/qat-test.json" mixbit quantize --model "$dir/qat.onnx" --split test --json
}

for b in "${budgets[@]}"; do
  name="${b%%:*}"; opts="${b#*:}"
  for s in "${single[@]}"; do search "$name" "$opts" "$s" 0; done
  for seed in "${seeds[@]}"; do
    for s in "${seeded[@]}"; do search "$name" "$opts" "$s" "$seed"; done
  done
  [ -n "${NO_QAT:-}" ] && continue
  qat "$out/$name/uniform-s0"
  qat "$out/$name/rule-s0"
  [ -d "$out/$name/exact-s0" ] && qat "$out/$name/exact-s0"
  for seed in "${seeds[@]}"; do qat "$out/$name/ddpg-s$seed"; done
done
[ -n "${NO_REPORT:-}" ] || /usr/bin/env python3 "$root/scripts/search_report.py" "$out"
