#!/usr/bin/env bash
# Installs what the C runtime's tests and benchmark need, idempotently, through the project's installer: the host
# compiler, the Arm GNU toolchain with newlib, and QEMU for the Cortex-M boards. Usage: scripts/runtime-install.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/scripts/install-deps.sh" gcc make libc6-dev gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
