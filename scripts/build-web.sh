#!/usr/bin/env bash
# Builds the page in web/: the crate for wasm32 with the `web` feature, and its JavaScript
# glue in web/pkg/. Installs what the build needs when it is missing.
#
# With rustup (the usual route): `rustup target add wasm32-unknown-unknown` and
# `cargo install wasm-bindgen-cli --version <the wasm-bindgen version in Cargo.lock>`, then
# this script. Where rustup cannot add the target (an offline toolchain), it uses Debian's
# Rust for the web (rustc-web, cargo-web, rust-web-src) and builds the standard library for
# wasm32 from its sources.
set -euo pipefail
cd "$(dirname "$0")/.."

bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
out=target/wasm

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  RUSTFLAGS="--cfg=web_sys_unstable_apis" \
    cargo rustc --release --target wasm32-unknown-unknown --features web --lib --crate-type cdylib --target-dir "$out"
else
  if [ ! -x /usr/bin/wasm-ld ] || ! /usr/bin/cargo --version 2>/dev/null | grep -q '^cargo 1\.9[6-9]\|^cargo 1\.[1-9][0-9][0-9]'; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq rustc-web cargo-web rust-web-src lld >/dev/null
  fi
  # Debian's toolchain, with the standard library built for wasm32 from its sources.
  PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-C linker=wasm-ld --cfg=web_sys_unstable_apis" \
    /usr/bin/cargo rustc --release --target wasm32-unknown-unknown -Z build-std=std,panic_abort \
    --features web --lib --crate-type cdylib --target-dir "$out"
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  # The glue generator must match the library's wasm-bindgen exactly.
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi
wasm-bindgen --target web --no-typescript --out-dir web/pkg \
  "$out/wasm32-unknown-unknown/release/tensorgears.wasm"
ls -l web/pkg
