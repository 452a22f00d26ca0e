#!/usr/bin/env bash
# Every test: the Rust suites (unit, integration, doc), then the Python package's (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/wattshift/target}"
cargo test --release
scripts/python_test.sh
