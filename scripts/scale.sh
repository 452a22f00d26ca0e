#!/usr/bin/env bash
# How cost grows: generates the scaling families of issue #12 and plans each with no --solver
# (auto: exact where its MILP is small, else fleet) with --gap 0.01 under a time limit, so the
# wall time is the time to a proven 1 % gap, or the limit with the gap reached by then; records
# the peak memory too. Prints CSV:
#   family, sites, vms, windows, solver, wall_s, gap, peak_rss_mb
# With OUT=DIR it also writes DIR/scale.csv and draws DIR/scale-{vms,sites,windows}.svg
# (examples/scale_plot.rs).
#
#   OUT=docs/scale scripts/scale.sh          # the whole family at 120 s (about 40 minutes)
#   LIMIT=60 VMS="500 1000 2000" SITES= WINDOWS= scripts/scale.sh
#
# Guard big runs with `ulimit -v`.
set -euo pipefail
cd "$(dirname "$0")/.."
ws=${WATTSHIFT:-target/release/wattshift}
limit=${LIMIT:-120}
gap=${GAP:-0.01}
out=${OUT:-}
threads=${THREADS:-2}
vms_family=${VMS-"500 1000 2000 5000 10000 20000 50000"}
sites_family=${SITES-"4 8 16 32"}
windows_family=${WINDOWS-"168 336 672"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
  local family=$1 sites=$2 vms=$3 windows=$4 hours=1
  # 672 windows are a week of quarter-hours.
  if [ "$windows" -gt 168 ]; then hours=$(echo "168 / $windows" | bc -l); fi
  local dir="$tmp/s$sites-v$vms-t$windows"
  local region=eu
  if [ "$sites" -ge 16 ]; then region=all; fi
  "$ws" generate --sites "$sites" --vms "$vms" --windows "$windows" --window-hours "$hours" \
    --seed 1 --region "$region" --out "$dir" >/dev/null
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" "$ws" plan "$dir" --out "$tmp/out" --force \
    --time-limit "$limit" --gap "$gap" --threads "$threads" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  local solver gap
  solver=$(grep -o '"solver": "[a-z-]*"' "$tmp/out/summary.json" | cut -d'"' -f4)
  gap=$(grep -o '"gap": [0-9.e-]*' "$tmp/out/summary.json" | awk '{print $2}')
  echo "$family,$sites,$vms,$windows,$solver,$(echo "$end - $start" | bc),${gap:-},$(( $(tail -1 "$tmp/rss") / 1024 ))"
  rm -rf "$dir" "$tmp/out"
}
all() {
  echo "family,sites,vms,windows,solver,wall_s,gap,peak_rss_mb"
  for vms in $vms_family; do run vms 16 "$vms" 168; done
  for sites in $sites_family; do run sites "$sites" 2000 168; done
  for windows in $windows_family; do run windows 16 2000 "$windows"; done
}
if [ -n "$out" ]; then
  mkdir -p "$out"
  all | tee "$tmp/scale.csv"
  mv "$tmp/scale.csv" "$out/scale.csv"
  cargo run --quiet --release --example scale_plot -- "$out/scale.csv" "$out"
else
  all
fi
