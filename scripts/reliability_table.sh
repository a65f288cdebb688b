#!/usr/bin/env bash
# Runs the bad-input corpus (tests/MixBit.Tests/Reliability/BadInputCorpusTests.cs) and prints what each case got as
# the Markdown table of docs/RELIABILITY.md: case, command, exit code, the one line on stderr.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
table="$(mktemp)"
MIXBIT_RELIABILITY_TABLE="$table" dotnet test "$root/tests/MixBit.Tests" -c Release --filter "FullyQualifiedName~BadInputCorpusTests" >/dev/null 2>&1
status=$?
echo "| case | command (\`mixbit ...\`) | exit | stderr |"
echo "|---|---|---|---|"
sort "$table" | awk -F'\t' '{ gsub(/\|/, "\\|", $4); printf "| %s | `%s` | %s | %s |\n", $1, $2, $3, $4 }'
rm -f "$table"
exit "$status"
