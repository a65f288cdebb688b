#!/usr/bin/env bash
# Instructions per function of a semihosted ELF run under QEMU, from the counting plugin's profile mode.
# Usage: runtime/tools/mb_profile.sh ELF BOARD [TOP]   (e.g. build/m4/bench_refcnn_0.elf mps2-an386 25)
set -euo pipefail
elf="$1"; board="$2"; top="${3:-25}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
plugin="$("$root/scripts/build-qemu-plugin.sh")"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
timeout 300 qemu-system-arm -M "$board" -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$elf" -plugin "$plugin,profile=1" -d plugin -D "$log" >/dev/null
# function start addresses (Thumb bit cleared), then each block's instructions to the function containing its pc
arm-none-eabi-nm -n "$elf" | awk '$2 ~ /^[tT]$/ {print $1, $3}' |
  awk -v logf="$log" '
    function hex(s,  v, i) { v = 0; s = tolower(s); for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
    { a[n] = hex($1); f[n++] = $2 }
    END {
      while ((getline line < logf) > 0) {
        split(line, t, " "); if (t[1] != "tb") continue
        pc = hex(t[2]); lo = 0; hi = n - 1
        while (lo < hi) { mid = int((lo + hi + 1) / 2); if (a[mid] <= pc) lo = mid; else hi = mid - 1 }
        cnt[f[lo]] += t[3] * t[4]; total += t[3] * t[4]
      }
      for (k in cnt) printf "%12d %5.1f%% %s\n", cnt[k], 100 * cnt[k] / total, k
    }' | sort -rn | head -"$top"
