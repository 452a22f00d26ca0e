#!/usr/bin/env bash
# Regenerates the shipped generated instances from the embedded real data. The generator is
# deterministic: running this again gives the same bytes. Results in each README's "Results"
# section come from `scripts/plan_instances.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
ws=${WATTSHIFT:-target/release/wattshift}

$ws generate --sites 4 --vms 60 --windows 24 --seed 1 --start 2024-05-01 \
  --zones DE-LU,FR,ES,SE3 --out instances/eu-day
$ws generate --sites 8 --vms 500 --windows 168 --seed 1 --start 2024-05-06 \
  --zones DE-LU,FR,NL,BE,AT,ES,DK1,SE3 --out instances/eu-week
$ws generate --sites 6 --vms 80 --windows 24 --seed 1 --year 2022 --start 2022-07-12 \
  --zones DE-LU,FR,ES,US-MIDA-PJM,US-CAL-CISO,US-TEX-ERCO --carbon-eur-per-t 100 \
  --out instances/carbon-2022
$ws generate --sites 6 --vms 60 --windows 24 --seed 1 --start 2024-03-17 \
  --zones DE-LU,NL,BE,FR,DK1,AT --vnf-share 0.6 --anti-affinity-share 0.4 \
  --out instances/vnf-edge
$ws generate --sites 4 --vms 60 --windows 24 --seed 1 --start 2024-05-12 \
  --zones DE-LU,NL,FR,ES --bandwidth-scale 0.01 --max-migrations 4 --window-hours 1 \
  --out instances/tight-links
