#!/usr/bin/env bash
# Plans every shipped generated instance with `stay` and with `exact` under a time limit, and
# prints the summaries that the instances' READMEs quote.
set -euo pipefail
cd "$(dirname "$0")/.."
ws=${WATTSHIFT:-target/release/wattshift}
limit=${TIME_LIMIT:-60}
out=${OUT_DIR:-out}
for name in eu-day carbon-2022 vnf-edge tight-links eu-week; do
  echo "== $name"
  $ws plan "instances/$name" --out "$out/$name-stay" --solver stay || true
  $ws plan "instances/$name" --out "$out/$name-exact" --solver exact --time-limit "$limit" || true
done
