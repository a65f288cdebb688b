#!/usr/bin/env bash
# Installs what the tests need and runs them: the C runtime's quick check (host gcc and the Cortex-M4 under QEMU),
# then the default, fast set of C# tests (which build generated C with gcc and arm-none-eabi-gcc and run one model in
# QEMU); the long end-to-end checks carry the trait Category=Slow and run with `scripts/test.sh --slow`.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The C toolchains and QEMU (as scripts/runtime-install.sh), and the compiler of the QEMU plugin (gcc).
"$root/scripts/install-deps.sh" gcc make libc6-dev gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm || exit 1
runtime_status=0
if [ "${1:-}" != "--slow" ]; then
  "$root/scripts/runtime-test.sh" --quick || runtime_status=1
fi
filter="Category!=Slow"
[ "${1:-}" = "--slow" ] && filter="Category=Slow"
log="$(mktemp)"
# Per-test "Passed" lines are dropped from the console (the log keeps them); failures show in full.
dotnet test "$root/tests/MixBit.Tests" -c Release --filter "$filter" --logger "console;verbosity=normal" 2>&1 \
  | tee "$log" | grep -vE '^\s+Passed [A-Za-z]'
status=${PIPESTATUS[0]}
# The runner's closing block: "Total tests: N", "Passed: N", "Failed: N", "Skipped: N" (absent counts are 0).
count() { grep -E "^ +$1: [0-9]+$" "$log" | tail -1 | grep -oE '[0-9]+'; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ "$runtime_status" -ne 0 ] && echo "runtime-test.sh --quick failed"
[ "$status" -eq 0 ] && status=$runtime_status
exit "$status"
