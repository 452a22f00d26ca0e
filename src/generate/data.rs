//! The real public data the generator draws from, compiled into the binary from
//! `instances/data/` (see its README for sources, licences and how it was derived), so that
//! `generate` works anywhere and never reads outside the repository.

use std::collections::BTreeMap;

const PRICES_2022: &str = include_str!("../../instances/data/prices_2022.csv");
const PRICES_2024: &str = include_str!("../../instances/data/prices_2024.csv");
const CARBON_2022: &str = include_str!("../../instances/data/carbon_2022.csv");
const CARBON_2024: &str = include_str!("../../instances/data/carbon_2024.csv");
const ZONES: &str = include_str!("../../instances/data/zones.csv");
const PUE: &str = include_str!("../../instances/data/pue.csv");
const SPECPOWER: &str = include_str!("../../instances/data/specpower.csv");
const PLANETLAB: &str = include_str!("../../instances/data/planetlab.csv");

/// ECB euro reference rate, annual average of daily rates, US dollars per euro.
pub fn usd_per_eur(year: u16) -> f64 {
    match year {
        2022 => 1.0530,
        _ => 1.0824,
    }
}

/// A grid zone with the location of its representative data-center city.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    /// Bidding-zone code, such as DE-LU.
    pub code: String,
    /// Its name.
    pub name: String,
    /// EU or US.
    pub region: String,
    /// Currency of its prices (EUR or USD).
    pub currency: String,
    /// Offset of its local time from UTC, h.
    pub utc_offset_h: f64,
    /// Latitude of its reference city, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// The reference city.
    pub city: String,
}

/// An hourly series per zone for one year: `series[zone][hour]`.
#[derive(Debug, Clone, Default)]
pub struct Hourly {
    /// Hourly values of the year per zone code.
    pub series: BTreeMap<String, Vec<f64>>,
}

/// A SPECpower_ssj2008 server: watts at 0, 10, …, 100 % load.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// CloudSim's class name.
    pub name: String,
    /// The server, as SPEC lists it.
    pub description: String,
    /// Cores.
    pub cores: u32,
    /// Power at 0 %, 10 %, …, 100 % load, W.
    pub watts: [f64; 11],
}

/// A PlanetLab CPU trace: 288 five-minute samples of one day, in %.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The trace's file name.
    pub name: String,
    /// The day it was recorded.
    pub day: String,
    /// CPU utilisation samples, %.
    pub samples_pct: Vec<f64>,
}

/// A published PUE figure.
#[derive(Debug, Clone, PartialEq)]
pub struct PueFigure {
    /// Operator.
    pub operator: String,
    /// Site or campus.
    pub site: String,
    /// Which PUE (annual, trailing twelve months, …).
    pub metric: String,
    /// The figure.
    pub pue: f64,
}

/// Everything the generator reads.
#[derive(Debug, Clone)]
pub struct Data {
    /// Grid zones.
    pub zones: Vec<Zone>,
    /// Day-ahead prices per year.
    pub prices: BTreeMap<u16, Hourly>,
    /// Carbon intensity per year.
    pub carbon: BTreeMap<u16, Hourly>,
    /// SPECpower curves.
    pub servers: Vec<Server>,
    /// PlanetLab traces.
    pub traces: Vec<Trace>,
    /// Published PUE figures.
    pub pue: Vec<PueFigure>,
}

fn records(text: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    // The embedded files are checked by tests; a bad one is a build defect, not user input.
    let header = reader.headers().cloned().unwrap_or_default();
    let rows = reader.records().filter_map(Result::ok).collect();
    (header, rows)
}

fn number(field: Option<&str>) -> f64 {
    field.and_then(|f| f.parse().ok()).unwrap_or(f64::NAN)
}

fn hourly(text: &str) -> Hourly {
    let (header, rows) = records(text);
    let mut series: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (i, zone) in header.iter().enumerate().skip(1) {
        series.insert(
            zone.to_string(),
            rows.iter().map(|r| number(r.get(i))).collect(),
        );
    }
    Hourly { series }
}

impl Data {
    /// Parses the embedded files.
    pub fn load() -> Data {
        let (_, zone_rows) = records(ZONES);
        let zones = zone_rows
            .iter()
            .map(|r| Zone {
                code: r.get(0).unwrap_or_default().to_string(),
                name: r.get(1).unwrap_or_default().to_string(),
                region: r.get(2).unwrap_or_default().to_string(),
                currency: r.get(3).unwrap_or_default().to_string(),
                utc_offset_h: number(r.get(4)),
                lat: number(r.get(5)),
                lon: number(r.get(6)),
                city: r.get(7).unwrap_or_default().to_string(),
            })
            .collect();
        let (_, server_rows) = records(SPECPOWER);
        let servers = server_rows
            .iter()
            .map(|r| {
                let mut watts = [0.0; 11];
                for (k, w) in watts.iter_mut().enumerate() {
                    *w = number(r.get(3 + k));
                }
                Server {
                    name: r.get(0).unwrap_or_default().to_string(),
                    description: r.get(1).unwrap_or_default().to_string(),
                    cores: number(r.get(2)) as u32,
                    watts,
                }
            })
            .collect();
        let (_, trace_rows) = records(PLANETLAB);
        let traces = trace_rows
            .iter()
            .map(|r| Trace {
                name: r.get(0).unwrap_or_default().to_string(),
                day: r.get(1).unwrap_or_default().to_string(),
                samples_pct: (3..r.len()).map(|i| number(r.get(i))).collect(),
            })
            .collect();
        let (pue_header, pue_rows) = records(PUE);
        let column = |name: &str| {
            pue_header
                .iter()
                .position(|h| h == name)
                .unwrap_or(usize::MAX)
        };
        let (operator, site, metric, value) = (
            column("operator"),
            column("site"),
            column("metric"),
            column("pue"),
        );
        let pue = pue_rows
            .iter()
            .map(|r| PueFigure {
                operator: r.get(operator).unwrap_or_default().to_string(),
                site: r.get(site).unwrap_or_default().to_string(),
                metric: r.get(metric).unwrap_or_default().to_string(),
                pue: number(r.get(value)),
            })
            .filter(|p| p.pue.is_finite() && p.pue >= 1.0)
            .collect();
        Data {
            zones,
            prices: BTreeMap::from([(2022, hourly(PRICES_2022)), (2024, hourly(PRICES_2024))]),
            carbon: BTreeMap::from([(2022, hourly(CARBON_2022)), (2024, hourly(CARBON_2024))]),
            servers,
            traces,
            pue,
        }
    }

    /// The zone with this code.
    pub fn zone(&self, code: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.code == code)
    }

    /// Hours in a year of the data.
    pub fn hours(year: u16) -> usize {
        if year.is_multiple_of(4) {
            8784
        } else {
            8760
        }
    }
}
