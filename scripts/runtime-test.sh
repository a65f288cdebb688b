#!/usr/bin/env bash
# Tests of the C runtime: the table-driven kernel test on the host (portable path, two seeds), under
# AddressSanitizer + UBSan, then built for Cortex-M0+ (portable), M4 (DSP and portable), M7 and M55 (DSP) and run
# under QEMU with semihosting, plus host and M4 builds with a non-default MB_CONV_COLS; finally the reference-CNN
# benchmark on the M4 (it checks every layer against the
# reference) with the counting plugin. Prints a line per step and "N passed, M failed"; exits non-zero on failure.
# Usage: scripts/runtime-test.sh [--quick]   (--quick: host and M4 only)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/runtime-install.sh" || exit 1
cores="m0plus m4 m4nodsp m7 m55"
[ "${1:-}" = "--quick" ] && cores="m4"
mk() { make -s -j2 -C "$root/runtime" "$@"; }
passed=0; failed=0; failures=()
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
step() { # name, command...
  local name="$1"; shift
  if "$@" > "$log" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name: $(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name"; tail -30 "$log"
  fi
}
step "build host" mk host asan
step "host portable (seed 12345)" "$root/runtime/build/host/test_kernels" 6 12345
step "host portable (seed 2718)" "$root/runtime/build/host/test_kernels" 6 2718
step "host asan+ubsan" "$root/runtime/build/asan/test_kernels" 3 31415
for core in $cores; do
  step "qemu $core" mk qemu CORE="$core"
done
# non-default block sizes (MB_CONV_COLS and MB_DW_CHANNELS are build options), portable and DSP: small depthwise
# blocks make the random odd channel counts span several blocks
cols2=(BUILD="$root/runtime/build/cols2" "EXTRA_CFLAGS=-DMB_CONV_COLS=2 -DMB_DW_CHANNELS=4")
step "host MB_CONV_COLS=2 MB_DW_CHANNELS=4" bash -c "make -s -j2 -C '$root/runtime' host BUILD='$root/runtime/build/cols2' EXTRA_CFLAGS='-DMB_CONV_COLS=2 -DMB_DW_CHANNELS=4' && '$root/runtime/build/cols2/host/test_kernels' 3 777"
step "qemu m4 MB_CONV_COLS=2 MB_DW_CHANNELS=4" mk qemu CORE=m4 "${cols2[@]}"
# the compact kernels (one body per op, run-time bit-widths: what deploy falls back to when the specialised ones do
# not fit), host and the M0+ on QEMU's M4 board
step "host MIXBIT_COMPACT" bash -c "make -s -j2 -C '$root/runtime' host BUILD='$root/runtime/build/compact' EXTRA_CFLAGS='-DMIXBIT_COMPACT' && '$root/runtime/build/compact/host/test_kernels' 3 4242"
step "qemu m0plus MIXBIT_COMPACT" mk qemu CORE=m0plus BUILD="$root/runtime/build/compact" "EXTRA_CFLAGS=-DMIXBIT_COMPACT"
step "benchmark m4 W8A8 (self-checking)" "$root/scripts/runtime-bench.sh" --cores m4 --configs 0
[ "$failed" -eq 0 ] || echo "failed steps: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
