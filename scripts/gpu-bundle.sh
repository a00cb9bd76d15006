#!/usr/bin/env bash
# Builds what scripts/gpu-check.sh runs on a machine without Rust (a lent GPU machine): the GPU
# test binaries and gpu_report, stripped and packed into .gpu/bundle.tar.xz, beside Debian's
# Vulkan loader (.gpu/debs, for a machine whose NVIDIA driver came without one) and a copy of
# MNIST for the report's epoch. .gpu/ is a transfer folder that git ignores; `--clean` removes
# it. Carry .gpu with the checkout and run scripts/gpu-check.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--clean" ]; then
    rm -rf .gpu
    exit 0
fi
mkdir -p .gpu/bin .gpu/debs .gpu/mnist

# The test binaries of this build, by target name (cargo prints their paths as JSON): those that
# run kernels; cli runs the examples beside it and architecture reads src/, neither of which
# travels.
cargo test --release --no-run --message-format=json 2>/dev/null | python3 -c '
import json, shutil, sys
for line in sys.stdin:
    m = json.loads(line)
    exe = m.get("executable")
    if m.get("reason") == "compiler-artifact" and exe and m.get("profile", {}).get("test"):
        name = m["target"]["name"]
        if name not in ("cli", "architecture"):
            shutil.copy(exe, ".gpu/bin/test-" + name)
'
cargo build --release --example gpu_report
cp target/release/examples/gpu_report .gpu/bin/gpu_report
strip .gpu/bin/* 2>/dev/null || true
tar -cJf .gpu/bundle.tar.xz -C .gpu bin
rm -rf .gpu/bin

# The Vulkan loader, as Debian packages it for amd64 (unpacked there by gpu-check.sh).
if ! ls .gpu/debs/libvulkan1_*.deb >/dev/null 2>&1; then
    lists=$(mktemp -d)
    o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
    mkdir -p "$lists/partial"
    apt-get $o update -qq
    (cd .gpu/debs && apt-get $o download libvulkan1 >/dev/null)
fi

# MNIST for the report's epoch: the files tests and CI read, copied only into this transfer
# folder (never into the repository).
cp "${MNIST_DIR:-../shared/mnist}"/*.gz .gpu/mnist/
du -sh .gpu
