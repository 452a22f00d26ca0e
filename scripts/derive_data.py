#!/usr/bin/env python3
"""Derive the compact data copy in instances/data/ from the raw data extract.

Python 3.11, standard library only. Usage (from anywhere):

    python3 scripts/derive_data.py [--raw PATH] [--out PATH]

--raw (alias --shared) names the raw data extract, the folder of public data the copy was
made from (not shipped in this repository; instances/data/README.md names its upstream
sources); it defaults to a folder `shared/data` beside the repository. --out defaults to
<repo>/instances/data.
The script is deterministic: running it twice gives byte-identical files.
It writes the nine CSV files described in instances/data/README.md; that
README is hand-written and is not touched by this script.

Hour convention in every hourly table: `hour` counts whole UTC hours from
Jan 1 00:00:00Z of the table's year (hour 0 = the hour starting at
Jan 1 00:00 UTC). 2022 has 8760 hours, 2024 has 8784.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "instances" / "data"

HOURS = {2022: 8760, 2024: 8784}

# Hand-chosen representative data-center city per zone: (utc_offset_h standard
# time, city, lat, lon). Coordinates are city-centre values written from
# common knowledge (about 0.01 deg accuracy is all that matters here).
ZONE_SITES: dict[str, tuple[int, str, float, float]] = {
    "DE-LU": (1, "Frankfurt am Main", 50.1109, 8.6821),
    "FR": (1, "Paris", 48.8566, 2.3522),
    "NL": (1, "Amsterdam", 52.3676, 4.9041),
    "BE": (1, "St. Ghislain", 50.4500, 3.8170),
    "AT": (1, "Vienna", 48.2082, 16.3738),
    "CH": (1, "Zurich", 47.3769, 8.5417),
    "ES": (1, "Madrid", 40.4168, -3.7038),
    "PT": (0, "Lisbon", 38.7223, -9.1393),
    "DK1": (1, "Fredericia", 55.5657, 9.7526),
    "DK2": (1, "Copenhagen", 55.6761, 12.5683),
    "NO2": (1, "Stavanger", 58.9700, 5.7331),
    "SE3": (1, "Stockholm", 59.3293, 18.0686),
    "SE4": (1, "Malmo", 55.6050, 13.0038),
    "PL": (1, "Warsaw", 52.2297, 21.0122),
    "IT-NORTH": (1, "Milan", 45.4642, 9.1900),
    "GB": (0, "London", 51.5074, -0.1278),
    "US-MIDA-PJM": (-5, "Ashburn VA", 39.0438, -77.4874),
    "US-CAL-CISO": (-8, "San Jose CA", 37.3382, -121.8863),
    "US-TEX-ERCO": (-6, "Dallas TX", 32.7767, -96.7970),
    "US-NY-NYIS": (-5, "New York NY", 40.7128, -74.0060),
}

# Total cores per server, checked by hand against the SPECpower descriptions
# ("<sockets> x [<cpu>, <cores per socket> cores]"); the parser must agree.
EXPECTED_CORES = {
    "HpProLiantMl110G3PentiumD930": 2,
    "HpProLiantMl110G4Xeon3040": 2,
    "HpProLiantMl110G5Xeon3075": 2,
    "IbmX3250XeonX3470": 4,
    "IbmX3250XeonX3480": 4,
    "IbmX3550XeonX5670": 12,
    "IbmX3550XeonX5675": 12,
}

PLANETLAB_SAMPLES = 288


def fmt(value: str | Decimal, places: int) -> str:
    """Plain fixed-point decimal with `places` decimals, never an exponent, no '-0'."""
    d = Decimal(value) if isinstance(value, str) else value
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if q == 0:
        q = abs(q)
    s = f"{q:f}"
    assert "e" not in s.lower() and "E" not in s, s
    return s


def hour_index(ts: str, year: int) -> int:
    t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    start = datetime(year, 1, 1, tzinfo=timezone.utc)
    secs = (t - start).total_seconds()
    if secs % 3600:
        raise ValueError(f"timestamp not on the hour: {ts}")
    return int(secs // 3600)


def read_long(path: Path, col: str) -> dict[int, dict[str, dict[int, str]]]:
    """Long table (timestamp_utc, zone, value...) -> {year: {zone: {hour: value}}}."""
    out: dict[int, dict[str, dict[int, str]]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            ts = r["timestamp_utc"]
            year = int(ts[:4])
            h = hour_index(ts, year)
            series = out.setdefault(year, {}).setdefault(r["zone"], {})
            if h in series:
                raise ValueError(f"{path.name}: duplicate {r['zone']} {ts}")
            series[h] = r[col]
    return out


def full_year(series: dict[int, str], year: int) -> bool:
    n = HOURS[year]
    return len(series) == n and all(h in series for h in range(n))


def write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def write_wide(path: Path, year: int, zones: list[str],
               data: dict[str, dict[int, str]], places: int) -> None:
    rows = ([str(h)] + [fmt(data[z][h], places) for z in zones] for h in range(HOURS[year]))
    write_csv(path, ["hour"] + zones, rows)


def ordered(zones, zone_order: list[str]) -> list[str]:
    zs = set(zones)
    unknown = zs - set(zone_order)
    if unknown:
        raise ValueError(f"zones missing from zones.csv: {sorted(unknown)}")
    return [z for z in zone_order if z in zs]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", "--shared", dest="shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()
    src: Path = args.shared
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    with (src / "zones.csv").open(newline="", encoding="utf-8") as f:
        zone_rows = list(csv.DictReader(f))
    zone_order = [r["zone"] for r in zone_rows]
    zone_meta = {r["zone"]: r for r in zone_rows}
    used: set[str] = set()

    # 1. Prices: EU in EUR/MWh, US in USD/MWh (no conversion here).
    eu = read_long(src / "prices_hourly.csv", "eur_per_mwh")
    us = read_long(src / "prices_hourly_us.csv", "usd_per_mwh")
    for year in (2022, 2024):
        merged: dict[str, dict[int, str]] = {}
        for part in (eu.get(year, {}), us.get(year, {})):
            for z, s in part.items():
                if z in merged:
                    raise ValueError(f"zone {z} in both price files")
                if full_year(s, year):
                    merged[z] = s
                else:
                    print(f"prices {year}: {z} incomplete ({len(s)} h), skipped", file=sys.stderr)
        zones = ordered(merged, zone_order)
        write_wide(out / f"prices_{year}.csv", year, zones, merged, 2)
        used.update(zones)
        print(f"prices_{year}.csv: {len(zones)} zones: {' '.join(zones)}")

    # 2. Carbon 2022 (LCA).
    ci22 = read_long(src / "carbon_intensity_hourly.csv", "gco2eq_per_kwh_lca")[2022]
    for z, s in ci22.items():
        if not full_year(s, 2022):
            raise ValueError(f"carbon 2022 {z} incomplete")
    zones = ordered(ci22, zone_order)
    write_wide(out / "carbon_2022.csv", 2022, zones, ci22, 1)
    used.update(zones)
    print(f"carbon_2022.csv: {len(zones)} zones: {' '.join(zones)}")

    # 3. Carbon 2024 (LCA) and renewable share 2024.
    for col, name in (("gco2eq_per_kwh_lca", "carbon_2024.csv"),
                      ("renewable_pct", "renewable_pct_2024.csv")):
        d = read_long(src / "electricitymaps_detail_hourly_2024.csv", col)[2024]
        for z, s in d.items():
            if not full_year(s, 2024):
                raise ValueError(f"{name} {z} incomplete")
        zones = ordered(d, zone_order)
        write_wide(out / name, 2024, zones, d, 1)
        used.update(zones)
        print(f"{name}: {len(zones)} zones: {' '.join(zones)}")

    # 4. zones.csv
    rows = []
    for z in ordered(used, zone_order):
        m = zone_meta[z]
        off, city, lat, lon = ZONE_SITES[z]
        currency = {"EU": "EUR", "US": "USD"}[m["region"]]
        rows.append([z, m["name"], m["region"], currency, str(off),
                     fmt(Decimal(str(lat)), 4), fmt(Decimal(str(lon)), 4), city])
    write_csv(out / "zones.csv",
              ["zone", "name", "region", "currency", "utc_offset_h", "lat", "lon", "city"], rows)
    print(f"zones.csv: {len(rows)} zones")

    # 5. pue.csv: the reduced column set, source URL column kept for attribution.
    cols = ["operator", "site", "country", "bidding_zone_hint", "metric", "period", "pue", "source"]
    with (src / "pue.csv").open(newline="", encoding="utf-8") as f:
        pue = [[r[c] for c in cols] for r in csv.DictReader(f)]
    write_csv(out / "pue.csv", cols, pue)
    print(f"pue.csv: {len(pue)} rows")

    # 6. specpower.csv, wide.
    servers: dict[str, dict] = {}
    with (src / "specpower.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            s = servers.setdefault(r["server"], {"description": r["description"], "w": {}})
            if s["description"] != r["description"]:
                raise ValueError(f"specpower: description differs for {r['server']}")
            s["w"][int(r["load_pct"])] = r["watts"]
    rows = []
    for name, s in servers.items():
        m = re.search(r"\((\d+) x \[[^\]]*?(\d+) cores\]", s["description"])
        if not m:
            raise ValueError(f"specpower: cannot parse cores from {s['description']!r}")
        cores = int(m.group(1)) * int(m.group(2))
        if EXPECTED_CORES.get(name) != cores:
            raise ValueError(f"specpower: {name} parsed {cores} cores, expected {EXPECTED_CORES.get(name)}")
        loads = list(range(0, 101, 10))
        if sorted(s["w"]) != loads:
            raise ValueError(f"specpower: {name} loads {sorted(s['w'])}")
        rows.append([name, s["description"], str(cores)] + [fmt(s["w"][p], 1) for p in loads])
    if len(rows) != 7:
        raise ValueError(f"specpower: {len(rows)} servers, expected 7")
    write_csv(out / "specpower.csv",
              ["server", "description", "cores"] + [f"w{p}" for p in range(0, 101, 10)], rows)
    print(f"specpower.csv: {len(rows)} servers")

    # 7. planetlab.csv
    root = src / "vm_traces" / "planetlab"
    rows = []
    for day_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for fp in sorted(p for p in day_dir.iterdir() if p.is_file()):
            vals = [int(line.strip()) for line in fp.read_text(encoding="ascii").splitlines()
                    if line.strip()]
            if len(vals) != PLANETLAB_SAMPLES:
                raise ValueError(f"{fp}: {len(vals)} samples")
            if any(v < 0 or v > 100 for v in vals):
                raise ValueError(f"{fp}: value outside 0..100")
            if "," in fp.name:
                raise ValueError(f"{fp}: comma in name")
            mean = Decimal(sum(vals)) / Decimal(len(vals))
            rows.append([fp.name, day_dir.name, fmt(mean, 1)] + [str(v) for v in vals])
    if len(rows) != 100:
        raise ValueError(f"planetlab: {len(rows)} traces, expected 100")
    write_csv(out / "planetlab.csv",
              ["trace", "day", "mean_pct"] + [f"u{i}" for i in range(PLANETLAB_SAMPLES)], rows)
    print(f"planetlab.csv: {len(rows)} traces")

    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"total size of {out}: {total} bytes ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
