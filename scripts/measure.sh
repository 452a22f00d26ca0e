#!/usr/bin/env bash
# The figures quoted in the README's solver table: every solver on eu-day and on the generated
# (8 sites, 500 VMs, 24 windows) instance under one time limit, `windows-day` under its own,
# and the windowed solver with 1 and 2 threads. Runtimes depend on the machine; ratios are from
# one run.
set -euo pipefail
cd "$(dirname "$0")/.."
ws=${WATTSHIFT:-target/release/wattshift}
limit=${TIME_LIMIT:-90}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$ws generate --sites 8 --vms 500 --windows 24 --seed 1 --out "$tmp/s8-v500-t24" >/dev/null
for instance in instances/eu-day "$tmp/s8-v500-t24"; do
  $ws bench "$instance" --solver stay --solver greedy --solver pabfd --solver paths --solver local \
    --solver windows-fast --solver windows --solver exact --time-limit "$limit" --threads 2 \
    --format markdown
  # windows-day under its own limit (180 s): day-long blocks in pairs of sites.
  $ws bench "$instance" --solver windows-day --threads 2 --format markdown
  for solver in windows-fast local; do
    for threads in 1 2; do
      start=$(date +%s.%N)
      $ws plan "$instance" --out "$tmp/out" --solver "$solver" --time-limit "$limit" \
        --threads "$threads" | grep objective
      end=$(date +%s.%N)
      echo "$solver, $threads thread(s): $(echo "$end - $start" | bc) s"
    done
  done
done
