#!/usr/bin/env bash
# How far each solver runs past its --time-limit, on every shipped instance (instances/*) and on
# each member of the scaling family (instances/README.md). Prints a CSV: instance, solver, limit_s, wall_s, overrun_s,
# within_aim (wall ≤ 1.05 × limit + 1 s), status, stop_reason, peak_rss_mb.
# The wall time is the whole process: reading, solving and writing the outputs.
#
#   scripts/time_limits.sh                   # the shipped instances and the family at 60 s
#   LIMIT=5 SIZES="" scripts/time_limits.sh  # the shipped instances alone, at 5 s
#   LIMIT=20 SHIPPED=0 SIZES="s4-v50-t24 s8-v500-t24" SOLVERS="paths local" scripts/time_limits.sh
#
# Guard big runs with `ulimit -v` (the 10,000-VM instance needs about 1 GB for the heuristics).
set -euo pipefail
cd "$(dirname "$0")/.."
ws=${WATTSHIFT:-target/release/wattshift}
limit=${LIMIT:-60}
threads=${THREADS:-2}
sizes=${SIZES:-"s4-v50-t24 s8-v500-t24 s8-v500-t168 s16-v2000-t168 s16-v10000-t168"}
solvers=${SOLVERS:-"exact windows fleet greedy pabfd paths local"}
shipped=${SHIPPED:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "instance,solver,limit_s,wall_s,overrun_s,within_aim,status,stop_reason,peak_rss_mb"
# One run of `solver` on the instance in directory $1, named $2, as a CSV row.
measure() {
  local dir=$1 name=$2 solver=$3
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" "$ws" plan "$dir" --out "$tmp/out" --force \
    --solver "$solver" --time-limit "$limit" --threads "$threads" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc)
  over=$(echo "$wall - $limit" | bc)
  aim=$(echo "$wall <= 1.05 * $limit + 1" | bc)
  status=$(grep -o '"status": "[a-z]*"' "$tmp/out/summary.json" 2>/dev/null | cut -d'"' -f4 || echo -)
  reason=$(grep -o '"stop_reason": "[a-z_]*"' "$tmp/out/summary.json" 2>/dev/null | cut -d'"' -f4 || echo -)
  rss=$(( $(tail -1 "$tmp/rss") / 1024 ))
  echo "$name,$solver,$limit,$wall,$over,$([ "$aim" = 1 ] && echo yes || echo no),$status,$reason,$rss"
  rm -rf "$tmp/out"
}
if [ "$shipped" = 1 ]; then
  for dir in instances/*/; do
    [ -f "$dir/sites.csv" ] || continue
    for solver in $solvers; do
      measure "$dir" "$(basename "$dir")" "$solver"
    done
  done
fi
for size in $sizes; do
  # s16-v2000-t168 -> --sites 16 --vms 2000 --windows 168
  sites=${size#s}; sites=${sites%%-*}
  vms=${size#*-v}; vms=${vms%%-*}
  windows=${size##*-t}
  region=eu
  if [ "$sites" -ge 16 ]; then region=all; fi
  $ws generate --sites "$sites" --vms "$vms" --windows "$windows" --seed 1 --region "$region" \
    --out "$tmp/$size" >/dev/null
  for solver in $solvers; do
    measure "$tmp/$size" "$size" "$solver"
  done
done
