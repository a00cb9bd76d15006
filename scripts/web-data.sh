#!/usr/bin/env bash
# Links MNIST's four .gz files into web/data for the page to fetch, from $MNIST_DIR (else
# ../shared/mnist). A link, never a copy: web/data is ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."
mnist="${MNIST_DIR:-$(cd .. && pwd)/shared/mnist}"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$mnist/$f.gz" ] || { echo "web: $mnist/$f.gz is missing (set MNIST_DIR to MNIST's folder)" >&2; exit 1; }
done
rm -rf web/data
ln -s "$(cd "$mnist" && pwd)" web/data
