#!/usr/bin/env bash
# Installs the Debian packages MixBit needs, idempotently: the Fashion-MNIST data set and OpenBLAS.
# Usage: scripts/install-deps.sh [extra-package ...]
set -euo pipefail
packages=(dataset-fashion-mnist libopenblas0-pthread "$@")
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
