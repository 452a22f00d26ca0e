//! The seeded instance generator: realistic instances of any size from real public data
//! (hourly prices and carbon intensity per grid zone, published PUE figures, SPECpower server
//! curves, PlanetLab CPU traces). Same options and seed, same instance, byte for byte.

pub mod data;
pub mod template;

use crate::domain::instance::{Instance, Link, MigrationKind, MigrationProfile, Params, Site, Vm};
use crate::rng::Rng;
use crate::scoring::network::Network;
use data::{Data, Zone};
use ndarray::Array2;
use std::fmt::Write as _;

/// Default shares of precopy, block, postcopy, offline, respawn and pinned VMs.
pub const DEFAULT_KIND_SHARES: [f64; 6] = [0.55, 0.1, 0.1, 0.05, 0.1, 0.1];

/// Which grid zones to place sites in when none are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Region {
    /// European bidding zones.
    Eu,
    /// US market zones.
    Us,
    /// Both.
    All,
}

/// Options of `generate`. Every field has a documented default.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Sites (default 4).
    pub sites: usize,
    /// VMs (default 60).
    pub vms: usize,
    /// Windows (default 24).
    pub windows: usize,
    /// Seed of every random draw (default 1).
    pub seed: u64,
    /// Year of the price (and carbon) series: 2022 or 2024 (default 2024).
    pub year: u16,
    /// First window's start, `YYYY-MM-DD` or `YYYY-MM-DDTHH` in UTC, within `year`
    /// (default: midnight of a day drawn from the seed).
    pub start: Option<String>,
    /// Length of a window, hours (default 1). Prices and carbon are averaged over it.
    pub window_hours: f64,
    /// Grid zones of the sites, cycled when there are more sites (default: drawn from `region`).
    pub zones: Option<Vec<String>>,
    /// Where sites go when `zones` is not given (default EU).
    pub region: Region,
    /// Shares of precopy, block, postcopy, offline, respawn, pinned (default [`DEFAULT_KIND_SHARES`]).
    pub kind_shares: [f64; 6],
    /// Carbon price, EUR/t (default 0).
    pub carbon_eur_per_t: f64,
    /// Peak on-site solar power as a share of a site's peak facility power (default 0.2).
    pub renewable_share: f64,
    /// Add wind-like variability to on-site renewables (default false).
    pub wind: bool,
    /// US dollars per euro for US prices (default: the ECB annual average of `year`).
    pub usd_per_eur: Option<f64>,
    /// Share of VMs that are latency-bound VNFs anchored at their initial site (default 0.1).
    pub vnf_share: f64,
    /// Share of VMs in anti-affinity pairs (default 0.1).
    pub anti_affinity_share: f64,
    /// Multiplies every link's bandwidth (default 1).
    pub bandwidth_scale: f64,
    /// Migrations in plus out per site and window (default unlimited).
    pub max_migrations: Option<u32>,
    /// Migrations sharing a path at once (default 2).
    pub concurrency: u32,
    /// Total host capacity over the fleet's initial need (default 1.6).
    pub headroom: f64,
    /// Draw only this many VM templates (flavor, trace, migration profile, penalties) and make
    /// every VM a copy of one, at a site of its own (default: every VM drawn on its own).
    pub profiles: Option<usize>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            sites: 4,
            vms: 50,
            windows: 24,
            seed: 1,
            year: 2024,
            start: None,
            window_hours: 1.0,
            zones: None,
            region: Region::Eu,
            kind_shares: DEFAULT_KIND_SHARES,
            carbon_eur_per_t: 0.0,
            renewable_share: 0.2,
            wind: false,
            usd_per_eur: None,
            vnf_share: 0.1,
            anti_affinity_share: 0.1,
            bandwidth_scale: 1.0,
            max_migrations: None,
            concurrency: 2,
            headroom: 1.6,
            profiles: None,
        }
    }
}

/// A generated instance and the README that says how it was made.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The instance.
    pub instance: Instance,
    /// Its README: what it models and where its numbers come from.
    pub readme: String,
    /// The first window's start, hours since January 1 00:00 UTC of `year`.
    pub start_hour: f64,
    /// Zone of each site.
    pub zones: Vec<String>,
}

/// OpenStack-like flavors (vCPU, GiB) and how common each is.
const FLAVORS: [(f64, f64, f64); 10] = [
    (1.0, 1.0, 8.0),
    (1.0, 2.0, 10.0),
    (2.0, 4.0, 14.0),
    (2.0, 8.0, 8.0),
    (4.0, 8.0, 12.0),
    (4.0, 16.0, 8.0),
    (8.0, 16.0, 8.0),
    (8.0, 32.0, 6.0),
    (16.0, 32.0, 4.0),
    (16.0, 64.0, 2.0),
];

/// Cores and memory of a generated host: a current two-socket server.
const HOST_CPU: f64 = 32.0;
const HOST_MEM_GIB: f64 = 256.0;

fn round_to(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// Great-circle distance, km.
fn distance_km(a: &Zone, b: &Zone) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.lat.to_radians(),
        a.lon.to_radians(),
        b.lat.to_radians(),
        b.lon.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Days in each month of `year`.
fn month_days(year: u16) -> [u32; 12] {
    let feb = if year.is_multiple_of(4) { 29 } else { 28 };
    [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
}

/// `YYYY-MM-DDTHH:MM:SSZ` of an hour offset into `year` (may run into the next year).
fn timestamp(year: u16, hours: f64) -> String {
    let total_minutes = (hours * 60.0).round() as i64;
    let (mut day, minute_of_day) = (
        total_minutes.div_euclid(1440),
        total_minutes.rem_euclid(1440),
    );
    let mut y = year;
    loop {
        let days_in_year = if y.is_multiple_of(4) { 366 } else { 365 };
        if day < days_in_year {
            break;
        }
        day -= days_in_year;
        y += 1;
    }
    let mut month = 0;
    for (m, &d) in month_days(y).iter().enumerate() {
        if day < d as i64 {
            month = m;
            break;
        }
        day -= d as i64;
    }
    format!(
        "{y:04}-{:02}-{:02}T{:02}:{:02}:00Z",
        month + 1,
        day + 1,
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// Hours since January 1 of `year` for `YYYY-MM-DD` or `YYYY-MM-DDTHH`.
fn parse_start(text: &str, year: u16) -> Result<f64, String> {
    let bad = || format!("--start expects YYYY-MM-DD or YYYY-MM-DDTHH in {year}, found '{text}'");
    let (date, hour) = match text.split_once('T') {
        Some((d, h)) => (d, h.parse::<u32>().map_err(|_| bad())?),
        None => (text, 0),
    };
    let parts: Vec<&str> = date.split('-').collect();
    if parts.len() != 3 || hour > 23 {
        return Err(bad());
    }
    let y: u16 = parts[0].parse().map_err(|_| bad())?;
    let m: usize = parts[1].parse().map_err(|_| bad())?;
    let d: u32 = parts[2].parse().map_err(|_| bad())?;
    if y != year || !(1..=12).contains(&m) || d == 0 || d > month_days(y)[m - 1] {
        return Err(bad());
    }
    let days: u32 = month_days(y)[..m - 1].iter().sum::<u32>() + d - 1;
    Ok(days as f64 * 24.0 + hour as f64)
}

/// Mean of an hourly series over `[from, from + length)` hours, weighting partial hours.
fn mean_over(series: &[f64], from: f64, length: f64) -> f64 {
    let end = from + length;
    let mut h = from.floor();
    let (mut sum, mut weight) = (0.0, 0.0);
    while h < end {
        let overlap = (h + 1.0).min(end) - h.max(from);
        if overlap > 0.0 {
            let value = series.get(h as usize).copied().unwrap_or(0.0);
            sum += value * overlap;
            weight += overlap;
        }
        h += 1.0;
    }
    if weight > 0.0 {
        sum / weight
    } else {
        0.0
    }
}

/// A clear-sky solar shape in [0, 1] at local solar time `local_h` on day `day_of_year`.
fn solar_shape(local_h: f64, day_of_year: f64, lat: f64) -> f64 {
    // Day length from the solar declination; height as a sine over the daylight hours.
    let declination =
        23.44_f64.to_radians() * (2.0 * std::f64::consts::PI * (day_of_year - 81.0) / 365.0).sin();
    let cos_hour_angle = -(lat.to_radians().tan() * declination.tan());
    let half_day_h = cos_hour_angle.clamp(-1.0, 1.0).acos().to_degrees() / 15.0;
    let from_noon = (local_h.rem_euclid(24.0) - 12.0).abs();
    if from_noon >= half_day_h {
        return 0.0;
    }
    let noon_height = (90.0 - (lat - declination.to_degrees()).abs())
        .to_radians()
        .sin()
        .max(0.0);
    noon_height * (std::f64::consts::FRAC_PI_2 * (1.0 - from_noon / half_day_h)).sin()
}

/// Generates an instance, or says which option cannot be met.
pub fn generate(options: &GenerateOptions) -> Result<Generated, String> {
    let data = Data::load();
    generate_from(&data, options)
}

/// [`generate`] over already loaded data, in named steps; each step draws from its own fork of
/// the seed's stream, so that the steps do not disturb one another.
pub fn generate_from(data: &Data, o: &GenerateOptions) -> Result<Generated, String> {
    if o.sites == 0 || o.windows == 0 {
        return Err("--sites and --windows must be at least 1".into());
    }
    if !(o.window_hours > 0.0 && o.window_hours.is_finite()) {
        return Err("--window-hours must be a number > 0".into());
    }
    let prices = data
        .prices
        .get(&o.year)
        .ok_or_else(|| format!("--year must be 2022 or 2024, found {}", o.year))?;
    let empty = Default::default();
    let carbon = data.carbon.get(&o.year).unwrap_or(&empty);
    let usd_per_eur = o.usd_per_eur.unwrap_or(data::usd_per_eur(o.year));
    let root = Rng::new(o.seed);

    let zones = choose_zones(data, o, prices, &root)?;
    let start_hour = choose_start(o, &root)?;
    let mut sites = make_sites(data, o, &zones, &root);
    let links = make_links(o, &zones);
    let (mut vms, util) = make_vms(data, o, start_hour, &root);
    size_hosts(o, &mut sites, &vms);
    assign_roles(o, &sites, &links, &mut vms, &root);
    // Roles may move a VM: every site still holds the VMs that start there.
    for s in 0..sites.len() {
        let need = initial_need(&sites, &vms, s).ceil() as u32;
        sites[s].hosts = sites[s].hosts.max(need);
    }
    let windows = make_windows(
        o,
        &zones,
        &sites,
        prices,
        carbon,
        usd_per_eur,
        start_hour,
        &root,
    );

    let instance = Instance {
        sites,
        vms,
        links,
        params: Params {
            window_hours: o.window_hours,
            carbon_eur_per_t: o.carbon_eur_per_t,
            concurrency: o.concurrency.max(1),
            ..Params::default()
        },
        price_eur_mwh: windows.price,
        renewable_kw: windows.renewable,
        carbon_g_kwh: windows.carbon_g,
        window_start: windows.start,
        util,
    };
    let zone_list: Vec<String> = zones.iter().map(|z| z.code.clone()).collect();
    let readme = readme(o, &instance, &zones, start_hour, usd_per_eur, carbon);
    Ok(Generated {
        instance,
        readme,
        start_hour,
        zones: zone_list,
    })
}

/// The sites' grid zones: named, or drawn from the region among those with prices that year,
/// cycled over the sites.
fn choose_zones<'d>(
    data: &'d Data,
    o: &GenerateOptions,
    prices: &data::Hourly,
    root: &Rng,
) -> Result<Vec<&'d Zone>, String> {
    let zone_codes: Vec<String> = match &o.zones {
        Some(named) => {
            for z in named {
                if !prices.series.contains_key(z) {
                    let have: Vec<&str> = prices.series.keys().map(String::as_str).collect();
                    return Err(format!(
                        "zone '{z}' has no {} prices; zones with prices: {}",
                        o.year,
                        have.join(", ")
                    ));
                }
            }
            named.clone()
        }
        None => {
            let mut pool: Vec<String> = data
                .zones
                .iter()
                .filter(|z| prices.series.contains_key(&z.code))
                .filter(|z| match o.region {
                    Region::Eu => z.region == "EU",
                    Region::Us => z.region != "EU",
                    Region::All => true,
                })
                .map(|z| z.code.clone())
                .collect();
            root.fork(1).shuffle(&mut pool);
            pool
        }
    };
    if zone_codes.is_empty() {
        return Err("no zone has prices for that year and region".into());
    }
    (0..o.sites)
        .map(|i| {
            let code = &zone_codes[i % zone_codes.len()];
            data.zone(code)
                .ok_or_else(|| format!("zone '{code}' is not in zones.csv"))
        })
        .collect()
}

/// The first window's start, hours since January 1 00:00 UTC: given, or a day drawn from the
/// seed; the whole horizon must lie within the year's data.
fn choose_start(o: &GenerateOptions, root: &Rng) -> Result<f64, String> {
    let horizon_h = o.windows as f64 * o.window_hours;
    let year_h = Data::hours(o.year) as f64;
    if horizon_h > year_h {
        return Err(format!("{horizon_h} hours do not fit in {}", o.year));
    }
    let start_hour = match &o.start {
        Some(text) => parse_start(text, o.year)?,
        None => {
            let days = ((year_h - horizon_h) / 24.0).floor() as usize + 1;
            root.fork(2).below(days) as f64 * 24.0
        }
    };
    if start_hour + horizon_h > year_h {
        return Err(format!(
            "the horizon ({horizon_h} h from {}) runs past the end of {}'s data",
            timestamp(o.year, start_hour),
            o.year
        ));
    }
    Ok(start_hour)
}

/// One site per zone: a SPECpower curve scaled per core to a 32-core host, a published PUE;
/// hosts are sized later.
fn make_sites(data: &Data, o: &GenerateOptions, zones: &[&Zone], root: &Rng) -> Vec<Site> {
    let mut site_rng = root.fork(3);
    // Servers of 4 cores and more: scaling a 2-core desktop-class server per core to 32 cores
    // would give an idle power no real host has.
    let servers: Vec<&data::Server> = data.servers.iter().filter(|s| s.cores >= 4).collect();
    let mut sites = Vec::with_capacity(o.sites);
    let mut seen: Vec<String> = Vec::new();
    for zone in zones {
        let server = servers[site_rng.below(servers.len())];
        let per_core = HOST_CPU / server.cores.max(1) as f64;
        let pue = &data.pue[site_rng.below(data.pue.len())];
        let base = zone.code.to_lowercase();
        let copies = seen.iter().filter(|s| **s == base).count();
        seen.push(base.clone());
        let id = if copies == 0 {
            base
        } else {
            format!("{base}-{}", copies + 1)
        };
        sites.push(Site {
            id,
            hosts: 0,
            host_cpu: HOST_CPU,
            host_mem_gib: HOST_MEM_GIB,
            idle_w: round_to(server.watts[0] * per_core, 1),
            peak_w: round_to(server.watts[10] * per_core, 1),
            pue: pue.pue,
            cpu_overcommit: if site_rng.unit() < 0.3 { 2.0 } else { 1.0 },
            max_migrations: o.max_migrations,
            zone: zone.code.clone(),
            annotations: vec![
                ("x_city".into(), zone.city.clone()),
                ("x_server".into(), server.name.clone()),
                (
                    "x_pue_source".into(),
                    format!("{} {} ({})", pue.operator, pue.site, pue.metric),
                ),
            ],
        });
    }
    sites
}

/// Each site linked to its three nearest, plus a spanning tree that keeps the mesh connected;
/// bandwidth falls and latency grows with distance.
fn make_links(o: &GenerateOptions, zones: &[&Zone]) -> Vec<Link> {
    let n = o.sites;
    let dist = |a: usize, b: usize| distance_km(zones[a], zones[b]).max(50.0);
    let mut linked = vec![vec![false; n]; n];
    for a in 0..n {
        let mut others: Vec<usize> = (0..n).filter(|&b| b != a).collect();
        others.sort_by(|&x, &y| dist(a, x).total_cmp(&dist(a, y)).then(x.cmp(&y)));
        for &b in others.iter().take(3) {
            linked[a.min(b)][a.max(b)] = true;
        }
    }
    // Prim's tree over distances guarantees connectivity.
    let mut in_tree = vec![false; n];
    in_tree[0] = true;
    for _ in 1..n {
        let mut best: Option<(f64, usize, usize)> = None;
        for a in (0..n).filter(|&a| in_tree[a]) {
            for b in (0..n).filter(|&b| !in_tree[b]) {
                let d = dist(a, b);
                if best.is_none_or(|(bd, _, _)| d < bd) {
                    best = Some((d, a, b));
                }
            }
        }
        if let Some((_, a, b)) = best {
            in_tree[b] = true;
            linked[a.min(b)][a.max(b)] = true;
        }
    }
    let mut links = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            if !linked[a][b] {
                continue;
            }
            let d = dist(a, b);
            let gbps = if d < 600.0 {
                100.0
            } else if d < 1500.0 {
                40.0
            } else {
                10.0
            };
            let same_region = zones[a].region == zones[b].region;
            links.push(Link {
                from: a,
                to: b,
                bandwidth_gbps: gbps * o.bandwidth_scale,
                // Light in fibre covers about 200 km per ms; routes run about 1.3 times the
                // great-circle distance; 0.5 ms for equipment.
                latency_ms: round_to(d * 1.3 / 200.0 + 0.5, 2),
                eur_per_gb: if same_region { 0.01 } else { 0.02 },
            });
        }
    }
    links
}

/// The VMs: flavors, PlanetLab utilisation per window (`[vm, window]`), migration profiles.
/// With `profiles`, K templates are drawn and every VM is a copy of one of them at a site of
/// its own, so that a fleet of many VMs has few classes of identical VMs.
fn make_vms(
    data: &Data,
    o: &GenerateOptions,
    start_hour: f64,
    root: &Rng,
) -> (Vec<Vm>, Array2<f64>) {
    let n = o.sites;
    let mut vm_rng = root.fork(4);
    let site_weights: Vec<f64> = (0..n).map(|_| vm_rng.uniform(0.5, 1.5)).collect();
    let mut util = Array2::<f64>::zeros((o.vms, o.windows));
    let mut vms = Vec::with_capacity(o.vms);
    match o.profiles {
        None => {
            for v in 0..o.vms {
                let mut row = vec![0.0; o.windows];
                vms.push(draw_vm(
                    data,
                    o,
                    start_hour,
                    &mut vm_rng,
                    &site_weights,
                    v,
                    &mut row,
                ));
                util.row_mut(v).assign(&ndarray::ArrayView1::from(&row));
            }
        }
        Some(k) => {
            let mut template_rng = root.fork(7);
            let templates: Vec<(Vm, Vec<f64>)> = (0..k.max(1))
                .map(|i| {
                    let mut row = vec![0.0; o.windows];
                    let vm = draw_vm(
                        data,
                        o,
                        start_hour,
                        &mut template_rng,
                        &site_weights,
                        i,
                        &mut row,
                    );
                    (vm, row)
                })
                .collect();
            for v in 0..o.vms {
                let (template, row) = &templates[vm_rng.below(templates.len())];
                let mut vm = template.clone();
                vm.id = format!("vm{:0width$}", v + 1, width = o.vms.to_string().len());
                vm.initial_site = vm_rng.weighted(&site_weights);
                util.row_mut(v)
                    .assign(&ndarray::ArrayView1::from(row.as_slice()));
                vms.push(vm);
            }
        }
    }
    (vms, util)
}

/// One VM drawn from `vm_rng`, its utilisation per window written into `util`.
#[allow(clippy::too_many_arguments)]
fn draw_vm(
    data: &Data,
    o: &GenerateOptions,
    start_hour: f64,
    vm_rng: &mut Rng,
    site_weights: &[f64],
    index: usize,
    util: &mut [f64],
) -> Vm {
    let samples_per_window = (o.window_hours * 12.0).round().max(1.0) as usize;
    let flavor = FLAVORS[vm_rng.weighted(&FLAVORS.map(|f| f.2))];
    let (cpu, mem_gib) = (flavor.0, flavor.1);
    let trace = &data.traces[vm_rng.below(data.traces.len())];
    let offset = vm_rng.below(trace.samples_pct.len().max(1));
    let start_sample = (start_hour * 12.0).round() as usize + offset;
    for (t, u) in util.iter_mut().enumerate().take(o.windows) {
        let first = start_sample + (t as f64 * o.window_hours * 12.0).round() as usize;
        let mean: f64 = (0..samples_per_window)
            .map(|k| trace.samples_pct[(first + k) % trace.samples_pct.len()])
            .sum::<f64>()
            / samples_per_window as f64;
        *u = round_to((mean / 100.0).clamp(0.0, 1.0), 4);
    }
    // ndarray's mean, as the shipped instances were generated with (its summation order).
    let mean_util = round_to(ndarray::ArrayView1::from(&*util).mean().unwrap_or(0.0), 4);
    let kind = MigrationKind::ALL[vm_rng.weighted(&o.kind_shares)];
    let mem_used_gib = round_to(mem_gib * vm_rng.uniform(0.3, 0.9), 3);
    let wss_gib = round_to((mem_used_gib * vm_rng.uniform(0.05, 0.3)).max(0.001), 3);
    let busy = 0.2 + mean_util;
    let dirty_mib_s = round_to(vm_rng.log_uniform(1.0, 200.0) * busy, 2);
    let (disk_gib, disk_write_mib_s) = match kind {
        MigrationKind::Block => (
            round_to(vm_rng.uniform(10.0, 80.0), 2),
            round_to(vm_rng.log_uniform(0.5, 20.0), 2),
        ),
        MigrationKind::Offline => (round_to(vm_rng.uniform(10.0, 80.0), 2), 0.0),
        _ => (0.0, 0.0),
    };
    let boot_s = if kind == MigrationKind::Respawn {
        round_to(vm_rng.uniform(20.0, 90.0), 1)
    } else {
        60.0
    };
    Vm {
        id: format!("vm{:0width$}", index + 1, width = o.vms.to_string().len()),
        initial_site: vm_rng.weighted(site_weights),
        cpu,
        mem_gib,
        util: mean_util,
        profile: MigrationProfile {
            kind,
            mem_used_gib,
            wss_gib,
            disk_gib,
            dirty_mib_s,
            disk_write_mib_s,
            boot_s,
        },
        allowed_sites: None,
        anchor_site: None,
        max_latency_ms: None,
        anti_affinity: None,
        penalty_eur_per_s: round_to(vm_rng.uniform(0.0, 2e-5), 7),
        downtime_eur_per_s: round_to(vm_rng.uniform(0.0, 1e-3), 6),
        annotations: vec![
            ("x_role".into(), "vm".into()),
            ("x_trace".into(), format!("{}/{}", trace.day, trace.name)),
        ],
    }
}

/// Hosts site `s` needs for the VMs that start there (the larger of CPU and memory).
fn initial_need(sites: &[Site], vms: &[Vm], s: usize) -> f64 {
    let site = &sites[s];
    let here = vms.iter().filter(|v| v.initial_site == s);
    let (cpu, mem) = here.fold((0.0, 0.0), |(c, m), v| (c + v.cpu, m + v.mem_gib));
    (cpu / (site.host_cpu * site.cpu_overcommit)).max(mem / site.host_mem_gib)
}

/// Hosts: every site holds its initial VMs with headroom, and all sites together hold the whole
/// fleet `headroom` times over.
fn size_hosts(o: &GenerateOptions, sites: &mut [Site], vms: &[Vm]) {
    let n = sites.len();
    let total_need: f64 = {
        let cpu: f64 = vms.iter().map(|v| v.cpu).sum();
        let mem: f64 = vms.iter().map(|v| v.mem_gib).sum();
        (cpu / HOST_CPU).max(mem / HOST_MEM_GIB)
    };
    for s in 0..n {
        let own = (initial_need(sites, vms, s) * 1.25).ceil();
        let share = (total_need * o.headroom / n as f64).ceil();
        sites[s].hosts = own.max(share).max(1.0) as u32;
    }
}

/// Roles: latency-bound VNFs anchored where they start, and anti-affinity pairs (a pair that
/// starts on one site is split, so that staying stays feasible).
fn assign_roles(o: &GenerateOptions, sites: &[Site], links: &[Link], vms: &mut [Vm], root: &Rng) {
    let n = sites.len();
    let mut role_rng = root.fork(5);
    let partial = Instance {
        sites: sites.to_vec(),
        vms: Vec::new(),
        links: links.to_vec(),
        params: Params::default(),
        price_eur_mwh: Array2::zeros((1, n)),
        renewable_kw: Array2::zeros((1, n)),
        carbon_g_kwh: Array2::zeros((1, n)),
        window_start: Array2::from_elem((1, n), String::new()),
        util: Array2::zeros((0, 1)),
    };
    let network = Network::new(&partial);
    let movable: Vec<usize> = (0..o.vms)
        .filter(|&v| vms[v].profile.kind != MigrationKind::Pinned)
        .collect();
    let mut order = movable.clone();
    role_rng.shuffle(&mut order);
    let vnfs = ((o.vnf_share * o.vms as f64).round() as usize).min(order.len());
    for &v in &order[..vnfs] {
        let anchor = vms[v].initial_site;
        let mut latencies: Vec<f64> = (0..n)
            .filter_map(|s| network.latency_ms(anchor, s))
            .filter(|&l| l > 0.0)
            .collect();
        latencies.sort_by(f64::total_cmp);
        // Room for one to three sites besides the anchor.
        let reach = 1 + role_rng.below(3);
        let limit = latencies
            .get(reach.min(latencies.len()).saturating_sub(1))
            .copied()
            .unwrap_or(0.0);
        let vm = &mut vms[v];
        vm.anchor_site = Some(anchor);
        vm.max_latency_ms = Some(round_to(limit + 0.01, 2));
        vm.downtime_eur_per_s = round_to(role_rng.uniform(0.01, 0.1), 4);
        vm.penalty_eur_per_s = round_to(role_rng.uniform(1e-5, 1e-4), 6);
        vm.annotations[0].1 = "vnf".into();
    }
    let pairs =
        ((o.anti_affinity_share * o.vms as f64 / 2.0).round() as usize).min(order.len() / 2);
    let mut rest: Vec<usize> = order[vnfs..].to_vec();
    if rest.len() < 2 * pairs {
        rest = order.clone();
    }
    for p in 0..pairs {
        for &v in &rest[2 * p..2 * p + 2] {
            vms[v].anti_affinity = Some(format!("aa{}", p + 1));
        }
    }
    // A pair that starts on one site would make staying infeasible: move the second apart.
    for p in 0..pairs {
        let (a, b) = (rest[2 * p], rest[2 * p + 1]);
        if vms[a].initial_site == vms[b].initial_site && n > 1 {
            vms[b].initial_site = (vms[a].initial_site + 1) % n;
            let moved_to = vms[b].initial_site;
            if let Some(anchor) = vms[b].anchor_site.as_mut() {
                *anchor = moved_to;
            }
        }
    }
}

/// The per-window tables of windows.csv, `[window, site]`.
struct WindowTables {
    price: Array2<f64>,
    renewable: Array2<f64>,
    carbon_g: Array2<f64>,
    start: Array2<String>,
}

/// Windows: real prices (US converted to EUR), carbon where the year has it, solar (and wind)
/// renewables sized to each site's peak facility power.
#[allow(clippy::too_many_arguments)]
fn make_windows(
    o: &GenerateOptions,
    zones: &[&Zone],
    sites: &[Site],
    prices: &data::Hourly,
    carbon: &data::Hourly,
    usd_per_eur: f64,
    start_hour: f64,
    root: &Rng,
) -> WindowTables {
    let n = sites.len();
    let mut price = Array2::<f64>::zeros((o.windows, n));
    let mut renewable = Array2::<f64>::zeros((o.windows, n));
    let mut carbon_g = Array2::<f64>::zeros((o.windows, n));
    let mut start = Array2::from_elem((o.windows, n), String::new());
    let mut wind_rng = root.fork(6);
    for (s, zone) in zones.iter().enumerate() {
        let series = &prices.series[&zone.code];
        let to_eur = if zone.currency == "USD" {
            1.0 / usd_per_eur
        } else {
            1.0
        };
        let peak_facility_kw = sites[s].hosts as f64 * sites[s].peak_w * sites[s].pue / 1000.0;
        let solar_kw = o.renewable_share * peak_facility_kw;
        let mut wind_state = 0.0;
        for t in 0..o.windows {
            let from = start_hour + t as f64 * o.window_hours;
            price[[t, s]] = round_to(mean_over(series, from, o.window_hours) * to_eur, 2);
            if let Some(c) = carbon.series.get(&zone.code) {
                carbon_g[[t, s]] = round_to(mean_over(c, from, o.window_hours), 1);
            }
            // Solar averaged over the window at local solar time.
            let steps = (o.window_hours * 4.0).ceil().max(1.0) as usize;
            let shape: f64 = (0..steps)
                .map(|k| {
                    let h = from + (k as f64 + 0.5) * o.window_hours / steps as f64;
                    solar_shape(h + zone.lon / 15.0, (h / 24.0).floor() + 1.0, zone.lat)
                })
                .sum::<f64>()
                / steps as f64;
            let mut kw = solar_kw * shape;
            if o.wind {
                // AR(1) noise around a third of the solar peak, hour to hour.
                wind_state = 0.9 * wind_state + 0.3 * wind_rng.normal();
                kw += solar_kw * (0.35 + 0.25 * wind_state).clamp(0.0, 1.0);
            }
            renewable[[t, s]] = round_to(kw, 3);
            start[[t, s]] = timestamp(o.year, from);
        }
    }
    WindowTables {
        price,
        renewable,
        carbon_g,
        start,
    }
}

/// The `wattshift generate` command that makes this instance (output directory aside).
pub fn command_line(o: &GenerateOptions) -> String {
    let d = GenerateOptions::default();
    let mut c = format!(
        "wattshift generate --sites {} --vms {} --windows {} --seed {} --year {}",
        o.sites, o.vms, o.windows, o.seed, o.year
    );
    if let Some(start) = &o.start {
        let _ = write!(c, " --start {start}");
    }
    if o.window_hours != d.window_hours {
        let _ = write!(c, " --window-hours {}", o.window_hours);
    }
    match &o.zones {
        Some(zones) => {
            let _ = write!(c, " --zones {}", zones.join(","));
        }
        None if o.region != d.region => {
            let name = match o.region {
                Region::Eu => "eu",
                Region::Us => "us",
                Region::All => "all",
            };
            let _ = write!(c, " --region {name}");
        }
        None => {}
    }
    if o.kind_shares != d.kind_shares {
        let shares: Vec<String> = MigrationKind::ALL
            .iter()
            .zip(o.kind_shares)
            .map(|(k, share)| format!("{k}={share}"))
            .collect();
        let _ = write!(c, " --kinds {}", shares.join(","));
    }
    for (flag, value, default) in [
        ("--carbon-eur-per-t", o.carbon_eur_per_t, d.carbon_eur_per_t),
        ("--renewable-share", o.renewable_share, d.renewable_share),
        ("--vnf-share", o.vnf_share, d.vnf_share),
        (
            "--anti-affinity-share",
            o.anti_affinity_share,
            d.anti_affinity_share,
        ),
        ("--bandwidth-scale", o.bandwidth_scale, d.bandwidth_scale),
        ("--headroom", o.headroom, d.headroom),
    ] {
        if value != default {
            let _ = write!(c, " {flag} {value}");
        }
    }
    if o.wind {
        c.push_str(" --wind");
    }
    if let Some(k) = o.profiles {
        let _ = write!(c, " --profiles {k}");
    }
    if let Some(rate) = o.usd_per_eur {
        let _ = write!(c, " --usd-eur {rate}");
    }
    if let Some(m) = o.max_migrations {
        let _ = write!(c, " --max-migrations {m}");
    }
    if o.concurrency != d.concurrency {
        let _ = write!(c, " --concurrency {}", o.concurrency);
    }
    c
}

fn readme(
    o: &GenerateOptions,
    instance: &Instance,
    zones: &[&Zone],
    start_hour: f64,
    usd_per_eur: f64,
    carbon: &data::Hourly,
) -> String {
    let mut r = String::new();
    let _ = writeln!(r, "# Generated instance\n");
    let _ = writeln!(
        r,
        "Made by `{}`; the same options and seed give the same files, byte for byte.\n",
        command_line(o)
    );
    let _ = writeln!(
        r,
        "- Period: {} windows of {} h from {} (UTC), year {} of the price data.",
        o.windows,
        o.window_hours,
        timestamp(o.year, start_hour),
        o.year
    );
    let _ = writeln!(
        r,
        "- {} VMs, {} sites, {} links; carbon price {} EUR/t; concurrency {}.",
        instance.num_vms(),
        instance.num_sites(),
        instance.links.len(),
        o.carbon_eur_per_t,
        instance.params.concurrency
    );
    let mut kinds = Vec::new();
    for kind in MigrationKind::ALL {
        let count = instance
            .vms
            .iter()
            .filter(|v| v.profile.kind == kind)
            .count();
        kinds.push(format!("{count} {kind}"));
    }
    let _ = writeln!(r, "- Migration kinds: {}.", kinds.join(", "));
    let vnfs = instance
        .vms
        .iter()
        .filter(|v| v.max_latency_ms.is_some())
        .count();
    let paired = instance
        .vms
        .iter()
        .filter(|v| v.anti_affinity.is_some())
        .count();
    let _ = writeln!(
        r,
        "- {vnfs} latency-bound VNFs, {paired} VMs in anti-affinity pairs.\n"
    );
    let _ = writeln!(
        r,
        "| site | zone | city | prices | carbon intensity | hosts | PUE |"
    );
    let _ = writeln!(r, "|---|---|---|---|---|---|---|");
    for (s, zone) in zones.iter().enumerate() {
        let site = &instance.sites[s];
        let currency = if zone.currency == "USD" {
            format!("USD converted at {usd_per_eur} USD/EUR")
        } else {
            "EUR".to_string()
        };
        let ci = if carbon.series.contains_key(&zone.code) {
            format!("hourly LCA, {}", o.year)
        } else {
            "none in the data (0)".to_string()
        };
        let _ = writeln!(
            r,
            "| {} | {} | {} | day-ahead {}, {currency} | {ci} | {} × {} cores | {} |",
            site.id, zone.code, zone.city, o.year, site.hosts, site.host_cpu, site.pue
        );
    }
    let _ = writeln!(
        r,
        "\nHow it is made:\n\n\
         - Prices and carbon intensity are the real hourly series of each zone (averaged over a \
           window when windows are longer than an hour). US prices are in USD in the data and \
           are divided by the ECB annual average rate of the year ({usd_per_eur} USD per EUR) \
           unless `--usd-eur` says otherwise; US zones mix real-time (PJM) and day-ahead markets.\n\
         - PUE is a published figure drawn from `instances/data/pue.csv` (`x_pue_source`).\n\
         - Hosts are 32-core, 256 GiB servers whose idle and peak power are a SPECpower_ssj2008 \
           curve (`x_server`, 0 % and 100 % load) of a server with at least 4 cores, scaled per \
           core; those servers are 2009–2011 hardware, so power per core is on the high side.\n\
         - VMs take OpenStack-like flavors (1–16 vCPU, 1–64 GiB). Utilisation per window is a \
           PlanetLab CoMon trace (`x_trace`) from a random offset, averaged over the window; \
           dirty rates are log-uniform in 1–200 MiB/s scaled by load, working sets 5–30 % of the \
           memory in use.\n\
         - On-site renewables are a synthetic clear-sky solar shape at the site's latitude and \
           longitude, peaking at {:.0} % of the site's peak facility power{}.\n\
         - Links join each site to its three nearest and keep the mesh connected: 100 Gbit/s \
           under 600 km, 40 under 1500 km, 10 beyond (× {}); latency 1.3 × distance / 200 km/ms \
           + 0.5 ms.\n\n\
         Sources and licences of the data: `instances/data/README.md` in the wattshift \
         repository (prices via RTE eco2mix and Energinet, carbon intensity via Electricity \
         Maps, PUE from Google, Microsoft, AWS and Uptime Institute, SPECpower via CloudSim, \
         PlanetLab traces via CloudSim). Treat them as benchmark fixtures with attribution.",
        o.renewable_share * 100.0,
        if o.wind {
            ", with wind-like variability added"
        } else {
            ""
        },
        o.bandwidth_scale
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_starts_agree() {
        assert_eq!(timestamp(2024, 0.0), "2024-01-01T00:00:00Z");
        assert_eq!(timestamp(2024, 2915.0), "2024-05-01T11:00:00Z");
        assert_eq!(timestamp(2024, 8784.0), "2025-01-01T00:00:00Z");
        assert_eq!(timestamp(2022, 24.5), "2022-01-02T00:30:00Z");
        assert_eq!(parse_start("2024-05-01T11", 2024), Ok(2915.0));
        assert_eq!(parse_start("2024-03-01", 2024), Ok((31.0 + 29.0) * 24.0));
        assert!(parse_start("2023-03-01", 2024).is_err());
        assert!(parse_start("2022-02-29", 2022).is_err());
    }

    #[test]
    fn window_means_weight_partial_hours() {
        let series = [10.0, 20.0, 30.0];
        assert_eq!(mean_over(&series, 0.0, 2.0), 15.0);
        assert_eq!(mean_over(&series, 0.5, 1.0), 15.0);
        assert_eq!(mean_over(&series, 1.25, 0.5), 20.0);
    }

    #[test]
    fn the_sun_shines_by_day_only() {
        assert_eq!(solar_shape(0.0, 172.0, 50.0), 0.0);
        assert!(solar_shape(12.0, 172.0, 50.0) > 0.8);
        assert!(solar_shape(12.0, 355.0, 50.0) < solar_shape(12.0, 172.0, 50.0));
    }
}
