# Shared by the .ci scripts: repository root, pinned tool versions, PATH.
# shellcheck shell=bash
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
TOOLS=${KEKSDOSE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/keksdose/wasm-bindgen-$WASM_BINDGEN_VERSION}
NODE_TOOLS=$ROOT/tests/e2e/node_modules/.bin
# The wasm modules are built with this nightly, which rebuilds the standard library for size
# (.ci/build); KEKSDOSE_STABLE=1 builds them with the stable toolchain instead.
NIGHTLY=nightly-2026-05-20
# twiggy attributes the consent module's size to crates for the size report (.ci/sizes.mjs).
TWIGGY_VERSION=0.8.0
# geckodriver drives Firefox ESR for the browser tests and the WebDriver smoke (.ci/test).
GECKODRIVER_VERSION=0.37.1
# Node.js for machines whose own is older than 20 (.ci/setup fetches it from the npm registry).
NODE_VERSION=22.22.0
NODE_SHA512=sha512-IUPhYvEZMuxK5isuiosZwtFGZb7Q/M12pG3JrWF12azSAxSnAoRira5Nlt6FuWvxQJglRQVltLoBwPNPOUYXKw==
NPM_VERSION=10.9.9
NPM_SHA512=sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==
NODE_DIR=${KEKSDOSE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/keksdose}/node-$NODE_VERSION
# A Python with pyca/cryptography for the tests, when the system's lacks it (.ci/setup --tests).
PYTHON_DIR=${KEKSDOSE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/keksdose}/python
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"
if [ -x "$PYTHON_DIR/bin/python3" ]; then PATH="$PYTHON_DIR/bin:$PATH"; fi
if [ -x "$NODE_DIR/bin/node" ]; then PATH="$NODE_DIR/bin:$PATH"; fi
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
