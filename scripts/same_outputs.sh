#!/usr/bin/env bash
# Shows that a change leaves every output byte-identical: plans every shipped instance
# (instances/*, tests/data/tiny-*) with every solver, with the binary built from BASE (a commit,
# default HEAD~1) and with the working tree's, and compares all files of each output
# directory except the runtime_s line of summary.json. Runs that either side ends at the time
# limit (stop_reason "time_limit") are listed but not compared: how far a cut-short search
# gets depends on the machine's load.
#
#   scripts/same_outputs.sh [BASE]            LIMIT=60 SOLVERS="exact windows ..." to narrow
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
limit=${LIMIT:-60}
solvers=${SOLVERS:-"stay greedy pabfd paths local windows exact"}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/wattshift/target}"
tmp=$(mktemp -d)
cleanup() {
  git worktree remove --force "$tmp/base-src" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Both binaries, built one after the other in the shared target directory (HiGHS is reused).
git worktree add --detach "$tmp/base-src" "$base" >/dev/null 2>&1
(cd "$tmp/base-src" && cargo build --release --quiet)
cp "$CARGO_TARGET_DIR/release/wattshift" "$tmp/wattshift-base"
cargo build --release --quiet
cp "$CARGO_TARGET_DIR/release/wattshift" "$tmp/wattshift-new"

same=0; differ=0; cut=0
for instance in instances/*/ tests/data/tiny-*/; do
  instance=${instance%/}
  [ -f "$instance/sites.csv" ] || continue
  for solver in $solvers; do
    for side in base new; do
      "$tmp/wattshift-$side" plan "$instance" --out "$tmp/out-$side" --force --solver "$solver" \
        --time-limit "$limit" >/dev/null 2>&1 || true
    done
    if grep -q '"stop_reason": "time_limit"' "$tmp/out-base/summary.json" "$tmp/out-new/summary.json" 2>/dev/null; then
      echo "cut   $instance $solver (time limit)"; cut=$((cut + 1))
      continue
    fi
    for side in base new; do
      sed -i '/"runtime_s"/d' "$tmp/out-$side/summary.json"
    done
    if diff -r "$tmp/out-base" "$tmp/out-new" >"$tmp/diff" 2>&1; then
      same=$((same + 1))
    else
      echo "DIFF  $instance $solver"; head -20 "$tmp/diff"; differ=$((differ + 1))
    fi
  done
done
echo "$same identical, $differ different, $cut cut by the time limit (base $base, limit $limit s)"
[ "$differ" -eq 0 ]
