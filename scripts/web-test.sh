#!/usr/bin/env bash
# The browser test: builds the page (scripts/build-web.sh), serves web/ on 127.0.0.1 with
# MNIST linked in from $MNIST_DIR, and drives Debian's Chromium headless with WebGPU on its
# SwiftShader Vulkan (web/test/run.mjs). Prints `web: N passed, M failed` last.
#
#   scripts/web-test.sh            the CI checks: parity, a short training run, a drawn digit
#   scripts/web-test.sh --full     all of MNIST, 5 epochs, test accuracy >= 0.97
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

# MNIST is served from where it lies, never copied into the repository (web/data is ignored).
mnist="${MNIST_DIR:-$(cd .. && pwd)/shared/mnist}"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$mnist/$f.gz" ] || { echo "web-test: $mnist/$f.gz is missing (set MNIST_DIR)" >&2; exit 1; }
done
rm -rf web/data
ln -s "$(cd "$mnist" && pwd)" web/data

(cd web/test && npm ci --no-audit --no-fund --silent)
node web/test/run.mjs ${args[@]+"${args[@]}"}
