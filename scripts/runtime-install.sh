#!/usr/bin/env bash
# Installs what the C runtime's tests and benchmark need, idempotently: the Arm GNU toolchain with newlib, QEMU for
# the Cortex-M boards, and the host compiler. Usage: scripts/runtime-install.sh
set -euo pipefail
packages=(gcc make libc6-dev gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
echo "installing: ${missing[*]}" >&2
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
