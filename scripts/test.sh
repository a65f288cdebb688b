#!/usr/bin/env bash
# Installs what the tests need and runs them (the default, fast test set; long end-to-end checks are
# behind the trait Category=Slow: run them with scripts/test.sh --slow).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-deps.sh"
filter="Category!=Slow"
[ "${1:-}" = "--slow" ] && filter="Category=Slow"
dotnet test "$root/tests/MixBit.Tests" -c Release --filter "$filter" --logger "console;verbosity=normal" 2>&1 | tee /tmp/mixbit-test.log | grep -vE "^\s+Passed " || true
status=${PIPESTATUS[0]}
# One plain summary line for CI readers.
summary=$(grep -E "^(Passed|Failed)!" /tmp/mixbit-test.log | tail -1)
passed=$(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$summary"); failed=$(sed -nE 's/.*Failed: +([0-9]+),.*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.*Skipped: +([0-9]+).*/\1/p' <<<"$summary")
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
