#!/usr/bin/env bash
# Runs tensorgears' GPU tests and examples/gpu_report on this machine's GPU and writes what they
# print to one folder (the first argument, default gpu-check-out), within 8 minutes.
#
# On a Linux machine with an NVIDIA driver but no Vulkan loader, it brings Debian's libvulkan1
# from .gpu/debs (scripts/gpu-bundle.sh downloads it) and finds the driver's ICD file, or takes
# the one VK_DRIVER_FILES names. Without Rust it runs the binaries of .gpu/bundle.tar.xz
# (scripts/gpu-bundle.sh, run where Rust is); with Rust it builds them.
#
#   scripts/gpu-check.sh [OUT]        PEAK_TFLOPS=67 sets the report's peak (an H100/H200: 67)
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-gpu-check-out}")
mkdir -p "$out"
started=$(date +%s)
summary="$out/summary.txt"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

# The Vulkan loader.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
    if ls .gpu/debs/*.deb >/dev/null 2>&1; then
        for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done
        ldconfig
        say "Vulkan loader: unpacked from .gpu/debs"
    else
        say "no Vulkan loader, and no .gpu/debs to bring one (scripts/gpu-bundle.sh)"
    fi
fi
# The driver's ICD file, where none is named.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
    for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
        /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.*.json; do
        if [ -f "$icd" ]; then
            export VK_DRIVER_FILES="$icd"
            break
        fi
    done
fi
say "ICD: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-as the loader finds it}}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-runtime}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# The tuner's choices go with the report, not into a home directory.
export TENSORGEARS_CACHE_DIR="$out/cache"
if [ -d .gpu/mnist ]; then
    export MNIST_DIR="${MNIST_DIR:-$(realpath .gpu/mnist)}"
fi
export MNIST_DIR="${MNIST_DIR:-$(realpath -m ../shared/mnist)}"

# The binaries: the bundle's, or built here.
bin=$(mktemp -d)
if [ -f .gpu/bundle.tar.xz ]; then
    tar -xJf .gpu/bundle.tar.xz -C "$bin" && bin="$bin/bin"
    say "binaries: .gpu/bundle.tar.xz"
elif command -v cargo >/dev/null; then
    scripts/gpu-bundle.sh >"$out/build.log" 2>&1 || { say "build failed (build.log)"; exit 1; }
    tar -xJf .gpu/bundle.tar.xz -C "$bin" && bin="$bin/bin"
    say "binaries: built here"
else
    say "no .gpu/bundle.tar.xz and no cargo: nothing to run"
    exit 1
fi

# The tests, each binary with a time limit; the tests that need no GPU run too (a few
# seconds), since a failure anywhere matters.
passed=0
failed=0
for t in "$bin"/test-*; do
    name=$(basename "$t")
    # Four of the eight minutes for the tests, the rest for the report.
    left=$((started + 240 - $(date +%s)))
    if [ "$left" -le 5 ]; then
        say "NOT RUN (out of time): $name"
        failed=$((failed + 1))
        continue
    fi
    if timeout "$left" "$t" --test-threads 4 >"$out/$name.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        say "FAILED: $name (its log: $name.log)"
    fi
    grep -h "^test result" "$out/$name.log" | sed "s/^/$name: /" >>"$out/tests.txt"
done
# Only the logs of failures come back from a lent machine's few files: the rest are folded.
cat "$out"/test-*.log >"$out/test-logs.txt" 2>/dev/null
rm -f "$out"/test-*.log
say "test binaries: $passed passed, $failed failed (tests.txt, test-logs.txt)"

# The report.
peak=()
[ -n "${PEAK_TFLOPS:-}" ] && peak=(--peak-tflops "$PEAK_TFLOPS")
left=$((started + 470 - $(date +%s)))
if timeout "$left" "$bin/gpu_report" "${peak[@]}" >"$out/report.md" 2>"$out/report.err"; then
    say "gpu_report: report.md"
else
    say "gpu_report FAILED (report.err)"
fi
say "took $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]
