#!/usr/bin/env bash
# Renders a MixBit report (report.html) to a PNG of the whole page with headless Chromium, as a person's browser shows
# it; installs Debian's chromium first when it is missing (idempotent, with sudo when not root).
# Usage: scripts/report-screenshot.sh REPORT.html OUT.png [WIDTH]   (WIDTH in CSS pixels, default 1100)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: scripts/report-screenshot.sh REPORT.html OUT.png [WIDTH]" >&2
  exit 2
fi
html="$(realpath -e "$1" 2>/dev/null)" || { echo "error: $1 does not exist; give the report.html that \`mixbit report\` wrote." >&2; exit 2; }
out="$(realpath -m "$2")"
width="${3:-1100}"
[[ "$width" =~ ^[0-9]+$ ]] && [ "$width" -ge 320 ] || { echo "error: WIDTH must be a number of pixels >= 320, got '$width'." >&2; exit 2; }
"$root/scripts/install-deps.sh" chromium

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The flags that work on a closed network and as root: no sandbox, GPU, background connections or first-run tasks.
run_chromium() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$(mktemp -d -p "$work")" "$@" 2>/dev/null
}
# Chromium shoots the window only: measure the page at this width first (a copy that writes its height into its
# title), then shoot a window that tall.
sed 's|</body>|<script>document.title = "page-height:" + document.documentElement.scrollHeight;</script></body>|' "$html" > "$work/measure.html"
height="$(run_chromium --dump-dom --window-size="$width,1000" "file://$work/measure.html" | grep -o 'page-height:[0-9]*' | head -1 | cut -d: -f2)"
[ -n "$height" ] || { echo "error: Chromium could not lay out $html; open it in a browser to see why." >&2; exit 1; }
mkdir -p "$(dirname "$out")"
run_chromium --screenshot="$work/shot.png" --window-size="$width,$height" "file://$html" >/dev/null
[ -s "$work/shot.png" ] || { echo "error: Chromium wrote no screenshot of $html." >&2; exit 1; }
mv "$work/shot.png" "$out"
echo "$out: ${width}x${height} pixels"
