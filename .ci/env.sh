# Shared by the .ci scripts: repository root, pinned tool versions, PATH.
# shellcheck shell=bash
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
TOOLS=${KEKSDOSE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/keksdose/wasm-bindgen-$WASM_BINDGEN_VERSION}
NODE_TOOLS=$ROOT/tests/e2e/node_modules/.bin
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
