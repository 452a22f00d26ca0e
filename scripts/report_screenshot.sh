#!/usr/bin/env bash
# Regenerates docs/report/paper-testbed.png, the README's picture of a plan report: plans the
# shipped testbed with --report and photographs report.html in headless Chromium (installed by
# scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/wattshift/target}"
cargo build --release --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$CARGO_TARGET_DIR/release/wattshift" plan instances/paper-testbed --out "$out/plan" --report -q >/dev/null
mkdir -p docs/report
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --user-data-dir="$out/profile" --window-size=1100,2200 \
  --screenshot="$PWD/docs/report/paper-testbed.png" "file://$out/plan/report.html" 2>/dev/null
echo "wrote docs/report/paper-testbed.png"
