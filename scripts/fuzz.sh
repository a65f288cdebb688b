#!/usr/bin/env bash
# Generator fuzzing (FsCheck) of the readers of user files -- ONNX models, IDX data files, bit-policy JSON -- for a
# bounded time: `scripts/fuzz.sh [SECONDS]` (default 600, split evenly over the three readers). An input that makes a
# reader throw anything but MixBit's own clear error is kept under tests/MixBit.Tests/Corpus/fuzz/ (the normal test
# run replays every kept input) and fails the run. The normal test run does a short pass of the same fuzzers.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
total="${1:-600}"
export MIXBIT_FUZZ_SECONDS=$(( total / 3 ))
dotnet test "$root/tests/MixBit.Tests" -c Release --filter "FullyQualifiedName~ReaderFuzzTests" --logger "console;verbosity=detailed" 2>&1 \
  | grep -E "fuzz (onnx|idx|policy):|Failed |Error Message|kept as|Passed!|Failed!" 
status=${PIPESTATUS[0]}
ls "$root/tests/MixBit.Tests/Corpus/fuzz" 2>/dev/null | sed 's/^/kept: /'
exit "$status"
