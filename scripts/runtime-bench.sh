#!/usr/bin/env bash
# Instruction counts of the reference CNN (runtime/bench/bench_refcnn.c) on emulated Cortex-M cores, per layer and
# per inference, from the counting plugin. Each run also checks every layer against the naive reference and fails
# on a mismatch.
# Usage: scripts/runtime-bench.sh [--cores "m4 m4nodsp"] [--configs "0 1 2 3"] [--markdown FILE]
#   configs: 0 W8A8, 1 W4A4, 2 W2A2, 3 mixed; cores: m0plus m4 m4nodsp m7 m55
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cores="m4 m4nodsp"
configs="0 1 2 3"
markdown=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cores) cores="$2"; shift 2 ;;
    --configs) configs="$2"; shift 2 ;;
    --markdown) markdown="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
"$root/scripts/runtime-install.sh"
plugin="$("$root/scripts/build-qemu-plugin.sh")"
mk() { make -s -C "$root/runtime" "$@"; }
declare -A board=([m0plus]=mps2-an386 [m4]=mps2-an386 [m4nodsp]=mps2-an386 [m7]=mps2-an500 [m55]=mps3-an547)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
report="$tmp/report.md"
{
  echo "machine: $(uname -srm), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "command: scripts/runtime-bench.sh --cores \"$cores\" --configs \"$configs\""
  echo "compiler: $(arm-none-eabi-gcc --version | head -1); $(qemu-system-arm --version | head -1)"
} > "$report"
for core in $cores; do
  for cfg in $configs; do
    mk bench-elf CORE="$core" CONFIG="$cfg" >/dev/null
    elf="$root/runtime/build/$core/bench_refcnn_$cfg.elf"
    marker="0x$(arm-none-eabi-nm "$elf" | awk '/ mb_bench_marker$/{print $1}')"
    log="$tmp/$core-$cfg.out"
    counts="$tmp/$core-$cfg.counts"
    rc=0
    timeout 300 qemu-system-arm -M "${board[$core]}" -nographic -monitor none -serial none \
      -semihosting-config enable=on,target=native -kernel "$elf" \
      -plugin "$plugin,marker=$marker" -d plugin -D "$counts" > "$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      echo "FAIL $core config $cfg: exit $rc" >&2; cat "$log" >&2; status=1; continue
    fi
    echo "$core config $cfg self-check: $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log")" >&2
    # The program marks start, each of the layers, end: the last (layers + 2) marks of the run.
    awk -v core="$core" -v text="$(arm-none-eabi-size "$elf" | awk 'NR==2{print $1}')" '
      FNR == NR { if ($1 == "config") cfg = $2
                  if ($1 == "layer") { n++; name[n] = $3; bits[n] = $4 "/" $5 "/" $6; macs[n] = $8 }
                  next }
      $1 == "mark" { m[++k] = $3 }
      END {
        printf "\n### %s, %s (text %d bytes incl. test harness)\n\n", core, cfg, text
        print "| layer | w/a/o bits | MACs | instructions | per MAC |"
        print "|---|---|---:|---:|---:|"
        base = k - n - 2
        for (i = 1; i <= n; i++) {
          d = m[base + i + 1] - m[base + i]; tot += d; tm += macs[i]
          printf "| %s | %s | %d | %d | %.2f |\n", name[i], bits[i], macs[i], d, d / macs[i]
        }
        printf "| **total** | | %d | **%d** | %.2f |\n", tm, tot, tot / tm
      }' "$log" "$counts" >> "$report"
  done
done
cat "$report"
[ -n "$markdown" ] && cp "$report" "$markdown"
exit $status
