#!/usr/bin/env bash
# Builds the page, links MNIST in, and serves web/ on http://127.0.0.1:${1:-8000} until
# interrupted: open it in a browser with WebGPU to train and draw.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-web.sh
scripts/web-data.sh
echo "open http://127.0.0.1:${1:-8000}/"
exec python3 -m http.server "${1:-8000}" --bind 127.0.0.1 --directory web
