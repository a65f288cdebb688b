#!/usr/bin/env bash
# Builds the instruction-counting QEMU plugin (runtime/tools/mb_count_plugin.c) to runtime/build/mb_count_plugin.so.
# Usage: scripts/build-qemu-plugin.sh   (prints the plugin's path)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/runtime/build/mb_count_plugin.so"
src="$root/runtime/tools/mb_count_plugin.c"
mkdir -p "$(dirname "$out")"
if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
  gcc -shared -fPIC -O2 -std=c99 -Wall -Wextra -Werror -o "$out" "$src"
fi
echo "$out"
