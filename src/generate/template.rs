//! `wattshift init`: a template instance to fill in from one's own fleet. Every file of
//! docs/FORMAT.md §1 with every column in its header and example rows that validate and plan,
//! and a README that says what each column holds and where an operator finds it
//! (docs/FLEET.md has the long form).

/// The files of the template, by name.
pub fn template_files() -> Vec<(&'static str, Vec<u8>)> {
    [
        ("README.md", README),
        ("sites.csv", SITES),
        ("vms.csv", VMS),
        ("links.csv", LINKS),
        ("windows.csv", WINDOWS),
        ("usage.csv", USAGE),
        ("params.toml", PARAMS),
    ]
    .into_iter()
    .map(|(name, text)| (name, text.as_bytes().to_vec()))
    .collect()
}

const SITES: &str = "\
site,hosts,host_cpu,host_mem_gib,idle_w,peak_w,pue,cpu_overcommit,max_migrations,zone
fra1,20,64,512,110,420,1.3,1,,DE-LU
ams1,12,64,512,110,420,1.2,2,8,NL
";

const VMS: &str = "\
vm,site,cpu,mem_gib,util,disk_gib,mem_used_gib,wss_gib,dirty_mib_s,disk_write_mib_s,migration,boot_s,allowed_sites,anchor_site,max_latency_ms,anti_affinity,penalty_eur_per_s,downtime_eur_per_s
web-01,fra1,4,16,0.35,,12,2,25,,precopy,,,,,web,0,0.01
db-01,fra1,8,64,0.6,200,60,16,80,5,block,,fra1;ams1,fra1,20,,0.0001,0.1
";

const LINKS: &str = "\
from,to,bandwidth_gbps,latency_ms,eur_per_gb
fra1,ams1,10,8,0.01
";

const WINDOWS: &str = "\
window,site,price_eur_mwh,renewable_kw,carbon_g_kwh,start
0,fra1,71.5,0,380,2024-05-01T00:00:00Z
0,ams1,68.2,0,310,2024-05-01T00:00:00Z
1,fra1,64.0,0,370,2024-05-01T01:00:00Z
1,ams1,12.9,150,250,2024-05-01T01:00:00Z
";

const USAGE: &str = "\
window,vm,util
1,web-01,0.8
";

const PARAMS: &str = "\
# Every key is optional; the values here are the defaults, except carbon_eur_per_t.
window_hours = 1.0
# EUR per tonne CO2e; 0 plans on price alone. The EU ETS traded near 65 EUR/t in 2024.
carbon_eur_per_t = 65.0
# Payload share of the line rate (TCP over a 1500-byte MTU).
link_efficiency = 0.94
# Migrations that share a path at once (Nova's max_concurrent_live_migrations).
concurrency = 1
# Pre-copy stops when what is left fits in this (QEMU's downtime-limit, libvirt's
# migrate-setmaxdowntime).
max_downtime_ms = 300
max_rounds = 30
setup_s = 3.0
resume_s = 0.05
energy_j_per_mb = 0.512
energy_j_fixed = 20.165
# The most migrations one VM may make over the horizon (uncomment to limit churn).
# max_migrations_per_vm = 4
";

const README: &str = "\
# A wattshift instance to fill in

`wattshift init` wrote these files with every column and a few example rows. The rows are
examples, not defaults: replace them with your fleet, then check and plan:

    wattshift validate .
    wattshift plan . --out ../plan

`validate` names the file, line and column of every mistake it finds. An empty cell takes the
column's default. Columns whose name starts with `x_` are yours: wattshift carries those of
sites.csv and vms.csv into its outputs (an OpenStack UUID, an owner, a ticket).

## sites.csv: one row per data-center site (or per group of identical hosts)

- `hosts`, `host_cpu`, `host_mem_gib`: how many compute hosts, and the cores and memory of
  each. On OpenStack, the placement API's inventories (`openstack resource provider inventory
  list`) or `openstack hypervisor show`. Hosts of different sizes at one site: give each size its
  own row (`fra1-small`, `fra1-large`), linked by a fast link with zero latency and cost.
- `idle_w`, `peak_w`: a host's power at idle and at full load, from its SPECpower_ssj2008
  report (the 0 % and 100 % load points) or the vendor's power calculator.
- `pue`: the site's power usage effectiveness, from its operator (annual or trailing twelve
  months).
- `cpu_overcommit`: Nova's `cpu_allocation_ratio`. `max_migrations`: migrations in plus out per
  window. `zone`: the grid zone whose prices you put in windows.csv.

## vms.csv: one row per VM or VNF

- `cpu`, `mem_gib`, `disk_gib`: the flavor's vCPUs, RAM and the disk's allocated size
  (`openstack server show`, `openstack flavor show`; `qemu-img info` for allocated bytes).
- `util`: average CPU utilisation 0..1 (Prometheus node or libvirt exporter; per window in
  usage.csv).
- `mem_used_gib`, `wss_gib`, `dirty_mib_s`: memory sent in the first copy round, the writable
  working set, and the dirtying rate. libvirt reports them: `virsh domstats --balloon` for
  memory in use, `virsh domdirtyrate-calc` then `virsh domstats --dirtyrate` for the rate, and
  `virsh domjobinfo` of a past migration for the rounds it took.
- `migration`: `precopy` (live), `block` (live with the disk copied, no shared storage),
  `postcopy`, `offline` (cold), `respawn` (stateless: destroy and start anew) or `pinned`
  (never moves).
- `allowed_sites`, `anchor_site` with `max_latency_ms`, `anti_affinity`: where it may run,
  how far from its users, and which VMs must not share a site. VMs that must move together:
  give them one row with their summed size.
- `penalty_eur_per_s`, `downtime_eur_per_s`: what a second of slowed service and a second of
  downtime cost you.

## links.csv: one row per site pair with a link (both directions)

`bandwidth_gbps` you may use for migrations, `latency_ms` one way, `eur_per_gb` transfer cost.

## windows.csv: one row per window and site

`price_eur_mwh` (day-ahead price, e.g. ENTSO-E Transparency Platform), `carbon_g_kwh` (grid
carbon intensity, e.g. Electricity Maps or the Carbon Aware SDK), `renewable_kw` (on-site or
contracted renewable power), and `start` in RFC 3339 so that the plan's rows carry times.

## usage.csv and params.toml (optional)

usage.csv overrides `util` per VM and window. params.toml holds the copy-round model's
constants and the carbon price; its comments say what each key means.

The full guide, with a worked example, is docs/FLEET.md in wattshift's repository.
";
