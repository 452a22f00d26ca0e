//! The domain: an instance of the planning problem, as read from its CSV directory.
//!
//! Everything here is validated data: a value of [`Instance`] obeys every rule of docs/FORMAT.md §1
//! (the reader in [`crate::io::read`] refuses anything else), so the model code never re-checks it.
//! Sites, VMs and links are referred to by their index (row order in their file), which is also
//! the order every tie-break and every output uses.

use ndarray::Array2;

/// Index of a site: its row position in sites.csv (0-based, header excluded).
pub type SiteId = usize;
/// Index of a VM: its row position in vms.csv (0-based, header excluded).
pub type VmId = usize;

/// One data-center site: a pool of identical hosts behind one PUE.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Its id, unique among sites.
    pub id: String,
    /// Number of hosts; the site can run at most this many at once.
    pub hosts: u32,
    /// Cores per host.
    pub host_cpu: f64,
    /// Memory per host, GiB.
    pub host_mem_gib: f64,
    /// Power of an active host at 0% CPU, W.
    pub idle_w: f64,
    /// Power of an active host at 100% CPU, W.
    pub peak_w: f64,
    /// Power usage effectiveness (facility power / IT power), ≥ 1.
    pub pue: f64,
    /// Ratio of vCPUs to cores a host may carry (default 1).
    pub cpu_overcommit: f64,
    /// Migrations in plus out per window; `None` is unlimited.
    pub max_migrations: Option<u32>,
    /// Grid zone, informational (may be empty).
    pub zone: String,
    /// User annotation columns (`x_*`), name and value, carried through.
    pub annotations: Vec<(String, String)>,
}

/// How a VM moves between sites (docs/MODEL.md §1).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum MigrationKind {
    /// Live pre-copy of memory; storage is shared or volume-backed.
    Precopy,
    /// Block live migration: the disk is copied first, then memory by pre-copy.
    Block,
    /// Post-copy: the guest resumes at the destination at once and pulls memory.
    Postcopy,
    /// Suspend, copy memory and disk, resume.
    Offline,
    /// Destroy and start anew at the destination (stateless); needs no path.
    Respawn,
    /// Never migrates.
    Pinned,
}

impl MigrationKind {
    /// Every kind, in the order of docs/FORMAT.md.
    pub const ALL: [MigrationKind; 6] = [
        MigrationKind::Precopy,
        MigrationKind::Block,
        MigrationKind::Postcopy,
        MigrationKind::Offline,
        MigrationKind::Respawn,
        MigrationKind::Pinned,
    ];

    /// The name used in CSV files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            MigrationKind::Precopy => "precopy",
            MigrationKind::Block => "block",
            MigrationKind::Postcopy => "postcopy",
            MigrationKind::Offline => "offline",
            MigrationKind::Respawn => "respawn",
            MigrationKind::Pinned => "pinned",
        }
    }

    /// Parses a CSV or command-line name.
    pub fn from_name(name: &str) -> Option<MigrationKind> {
        MigrationKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for MigrationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The memory, disk and timing profile of one migration, in the units of vms.csv.
/// Separate from [`Vm`] so that `estimate` and the planner share one copy-round model.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationProfile {
    /// How it moves.
    pub kind: MigrationKind,
    /// Memory sent in the first round, GiB.
    pub mem_used_gib: f64,
    /// Writable working set: the most that can be dirty at once, GiB.
    pub wss_gib: f64,
    /// Bytes a block or offline migration copies from disk, GiB.
    pub disk_gib: f64,
    /// Memory dirtying rate, MiB/s.
    pub dirty_mib_s: f64,
    /// Disk write rate during a block migration, MiB/s.
    pub disk_write_mib_s: f64,
    /// Start time of a respawned instance, s.
    pub boot_s: f64,
}

/// One virtual machine or virtual network function.
#[derive(Debug, Clone, PartialEq)]
pub struct Vm {
    /// Its id, unique among VMs.
    pub id: String,
    /// Site before window 0.
    pub initial_site: SiteId,
    /// vCPUs.
    pub cpu: f64,
    /// Memory, GiB (what it reserves on a host).
    pub mem_gib: f64,
    /// Average CPU utilisation in [0, 1] for windows without a usage.csv row.
    pub util: f64,
    /// What its migration sends and how fast.
    pub profile: MigrationProfile,
    /// Sites it may run on in the windows, sorted; `None` means every site.
    pub allowed_sites: Option<Vec<SiteId>>,
    /// Site its users reach it from, with `max_latency_ms`.
    pub anchor_site: Option<SiteId>,
    /// Limit on the least-latency path from `anchor_site`, ms.
    pub max_latency_ms: Option<f64>,
    /// VMs sharing a label never share a site in the same window.
    pub anti_affinity: Option<String>,
    /// Cost of degraded service per second of migration, EUR/s.
    pub penalty_eur_per_s: f64,
    /// Cost per second of downtime, EUR/s.
    pub downtime_eur_per_s: f64,
    /// User annotation columns (`x_*`), name and value, carried through.
    pub annotations: Vec<(String, String)>,
}

/// A full-duplex link between two sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// One end (a site index).
    pub from: SiteId,
    /// The other end.
    pub to: SiteId,
    /// Line rate, 10^9 bit/s.
    pub bandwidth_gbps: f64,
    /// One-way latency, ms.
    pub latency_ms: f64,
    /// Transfer cost, EUR per 10^9 bytes.
    pub eur_per_gb: f64,
}

/// Settings of params.toml, each with its default (docs/FORMAT.md §1).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Params {
    /// Length of every window, hours (default 1.0).
    pub window_hours: f64,
    /// Carbon price, EUR per tonne CO2e (default 0).
    pub carbon_eur_per_t: f64,
    /// Payload share of line rate (default 0.94: TCP over a 1500-byte MTU).
    pub link_efficiency: f64,
    /// Migrations that share a path at once; each gets 1/concurrency of it (default 1).
    pub concurrency: u32,
    /// Pre-copy stops when what is left fits in this, ms (default 300).
    pub max_downtime_ms: f64,
    /// Live pre-copy rounds before giving up (default 30).
    pub max_rounds: u32,
    /// Fixed control-plane time per migration, s (default 3.0).
    pub setup_s: f64,
    /// Activation time at the destination, s (default 0.05).
    pub resume_s: f64,
    /// Migration energy per MB (10^6 bytes) sent, J (default 0.512).
    pub energy_j_per_mb: f64,
    /// Migration energy per migration, J (default 20.165).
    pub energy_j_fixed: f64,
    /// The most migrations one VM may make over the horizon, the move into window 0 included
    /// (default: no limit).
    pub max_migrations_per_vm: Option<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window_hours: 1.0,
            carbon_eur_per_t: 0.0,
            link_efficiency: 0.94,
            concurrency: 1,
            max_downtime_ms: 300.0,
            max_rounds: 30,
            setup_s: 3.0,
            resume_s: 0.05,
            energy_j_per_mb: 0.512,
            energy_j_fixed: 20.165,
            max_migrations_per_vm: None,
        }
    }
}

impl Params {
    /// Length of a window in seconds.
    pub fn window_s(&self) -> f64 {
        self.window_hours * 3600.0
    }
}

/// A validated instance. Tables indexed by window are `Array2` with windows as rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// The sites, in file order.
    pub sites: Vec<Site>,
    /// The VMs, in file order.
    pub vms: Vec<Vm>,
    /// The links, in file order.
    pub links: Vec<Link>,
    /// params.toml.
    pub params: Params,
    /// Day-ahead price, EUR/MWh, `[window, site]`; may be negative.
    pub price_eur_mwh: Array2<f64>,
    /// On-site renewable power, kW, `[window, site]`.
    pub renewable_kw: Array2<f64>,
    /// Grid carbon intensity, gCO2e/kWh, `[window, site]`.
    pub carbon_g_kwh: Array2<f64>,
    /// Window start as written in windows.csv (RFC 3339 or empty), `[window, site]`.
    pub window_start: Array2<String>,
    /// CPU utilisation of each VM in each window, `[vm, window]` (usage.csv overrides `Vm::util`).
    pub util: Array2<f64>,
}

impl Instance {
    /// Number of windows T.
    pub fn num_windows(&self) -> usize {
        self.price_eur_mwh.nrows()
    }

    /// S, the number of sites.
    pub fn num_sites(&self) -> usize {
        self.sites.len()
    }

    /// V, the number of VMs.
    pub fn num_vms(&self) -> usize {
        self.vms.len()
    }

    /// Index of a site by its id.
    pub fn site_index(&self, id: &str) -> Option<SiteId> {
        self.sites.iter().position(|s| s.id == id)
    }

    /// Index of a VM by its id.
    pub fn vm_index(&self, id: &str) -> Option<VmId> {
        self.vms.iter().position(|v| v.id == id)
    }

    /// Price of grid energy in window `t` at site `s`, EUR/kWh, carbon included.
    /// May be negative; a formulation must then keep grid power exact.
    pub fn grid_eur_per_kwh(&self, t: usize, s: SiteId) -> f64 {
        self.price_eur_mwh[[t, s]] / 1000.0
            + self.carbon_g_kwh[[t, s]] * self.params.carbon_eur_per_t / 1e6
    }
}

/// Tolerance of docs/MODEL.md §3 for comparisons against a bound: 1e-9 × max(1, |bound|).
pub fn tolerance(bound: f64) -> f64 {
    1e-9 * bound.abs().max(1.0)
}

/// `value ≤ bound` with the tolerance of docs/MODEL.md §3.
pub fn le_tol(value: f64, bound: f64) -> bool {
    value <= bound + tolerance(bound)
}

/// `⌈x⌉` where a value within the tolerance of docs/MODEL.md §3 of an integer counts as that integer.
pub fn ceil_tol(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() <= tolerance(r) {
        r
    } else {
        x.ceil()
    }
}
