#!/usr/bin/env bash
# The browser test: builds the page (scripts/build-web.sh), serves web/ on 127.0.0.1 with
# MNIST linked in from $MNIST_DIR, and drives Debian's Chromium headless with WebGPU on its
# SwiftShader Vulkan (web/test/run.mjs). Prints `web: N passed, M failed` last.
#
#   scripts/web-test.sh            the CI checks: parity, a short training run, a drawn digit
#   scripts/web-test.sh --full     all of MNIST, 5 epochs, test accuracy >= 0.97
#   scripts/web-test.sh --query '?model=convnet&train=1280&epochs=1' --threshold 0.5
#                                  another training run, and the test accuracy it must reach
#   scripts/web-test.sh --no-build skip the build (web/pkg/ already built)
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    *) args+=("$a") ;;
  esac
done

if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
if [ "$build" = 1 ]; then
  scripts/build-web.sh
fi

scripts/web-data.sh
(cd web/test && npm ci --no-audit --no-fund --silent)
node web/test/run.mjs ${args[@]+"${args[@]}"}
