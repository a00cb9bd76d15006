#!/usr/bin/env bash
# Interleaved A/B timing of one criterion bench built from two checkouts, so that both see the
# same hour of a noisy machine: runs A, then B, ROUNDS times, and prints each benchmark's
# median per run and the median of the B/A ratios.
#
#   scripts/bench-ab.sh A_TARGET_DIR B_TARGET_DIR BENCH FILTER [ROUNDS]
#
# A_TARGET_DIR and B_TARGET_DIR are the target directories where `cargo bench --no-run` built
# the two versions (e.g. a worktree of the older commit built with CARGO_TARGET_DIR=...).
set -euo pipefail
a_dir=$1 b_dir=$2 bench=$3 filter=$4 rounds=${5:-3}
bin() { ls -t "$1"/release/deps/"$bench"-* | grep -v '\.d$' | head -n 1; }
a=$(bin "$a_dir") b=$(bin "$b_dir")
out=$(mktemp -d)
for r in $(seq 1 "$rounds"); do
  for side in a b; do
    exe=$a; [ "$side" = b ] && exe=$b
    # criterion prints "name  time: [low median high]" per benchmark.
    "$exe" --bench "$filter" 2>/dev/null | tee -a "$out/raw-$side" | awk -v side="$side" -v round="$r" '
      /^[^ ].*time:/ { name=$1; line=$0 }
      /^[^ ]/ && !/time:/ { name=$1 }
      /time:/ { sub(/.*time: *\[/, ""); split($0, t, " "); v=t[3]; u=t[4];
                if (u !~ /^(ns|µs|us|ms|s)$/) next;  # "change: time: [-1% ...]" lines
                f = (u=="ms") ? 1e3 : (u=="s") ? 1e6 : (u=="ns") ? 1e-3 : 1;
                printf "%s %s %s %.3f\n", name, side, round, v*f }' >> "$out/times"
  done
done
echo "raw output: $out" >&2
python3 - "$out/times" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(lambda: {"a": [], "b": []})
for line in open(sys.argv[1]):
    name, side, rnd, us = line.split()
    rows[name][side].append(float(us))
print(f"{'benchmark':45} {'A median us (runs)':>28} {'B median us (runs)':>28} {'B/A':>6}")
for name, r in rows.items():
    ratios = [b / a for a, b in zip(r["a"], r["b"])]
    fmt = lambda v: f"{statistics.median(v):9.1f} ({', '.join(f'{x:.0f}' for x in v)})"
    print(f"{name:45} {fmt(r['a']):>28} {fmt(r['b']):>28} {statistics.median(ratios):6.3f}")
PY
