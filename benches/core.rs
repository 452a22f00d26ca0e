//! Benchmarks of the core: the copy-round model, the evaluator, building and solving the MILP.
//! Run with `cargo bench --bench core`. Figures belong in notes as ratios from one run.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use wattshift::domain::instance::{MigrationKind, MigrationProfile, Params};
use wattshift::domain::plan::Plan;
use wattshift::generate::{generate, GenerateOptions};
use wattshift::io::read::read_instance;
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;
use wattshift::scoring::migration::{estimate, estimate_batch};
use wattshift::solvers::exact::Horizon;
use wattshift::solvers::{exact, CommonSettings, LocalSettings, SolverSettings, WindowsSettings};

fn instance(name: &str) -> wattshift::domain::instance::Instance {
    read_instance(&Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).expect("valid instance")
}

fn copy_rounds(c: &mut Criterion) {
    let params = Params::default();
    let profile = MigrationProfile {
        kind: MigrationKind::Precopy,
        mem_used_gib: 16.0,
        wss_gib: 2.0,
        disk_gib: 0.0,
        dirty_mib_s: 200.0,
        disk_write_mib_s: 0.0,
        boot_s: 60.0,
    };
    c.bench_function("copy_rounds/precopy_one", |b| {
        b.iter(|| estimate(black_box(&profile), black_box(1.1e9), &params))
    });
    let block = MigrationProfile {
        kind: MigrationKind::Block,
        disk_gib: 8.44,
        ..profile
    };
    let batch_params = Params {
        concurrency: 3,
        ..Params::default()
    };
    c.bench_function("copy_rounds/block_batch_of_10", |b| {
        b.iter(|| estimate_batch(black_box(&block), 1.0, 10, &batch_params))
    });
}

fn evaluator(c: &mut Criterion) {
    let paper = instance("instances/paper-testbed");
    let costs = Costs::new(&paper);
    let stay = Plan::stay(&paper);
    c.bench_function("evaluate/paper_testbed_stay", |b| {
        b.iter(|| evaluate(&costs, black_box(&stay)))
    });
    c.bench_function("costs/paper_testbed", |b| {
        b.iter(|| Costs::new(black_box(&paper)))
    });
}

/// A mid-sized generated instance: 4 sites, 40 VMs, 12 windows.
fn mid_sized() -> wattshift::domain::instance::Instance {
    let options = GenerateOptions {
        sites: 4,
        vms: 40,
        windows: 12,
        seed: 1,
        ..Default::default()
    };
    generate(&options).expect("generates").instance
}

fn model_building(c: &mut Criterion) {
    let inst = mid_sized();
    let costs = Costs::new(&inst);
    let whole = Horizon::whole(&costs);
    let (columns, rows) = exact::model_size(&costs, &whole);
    let mut group = c.benchmark_group("milp_build");
    group.sample_size(20);
    group.bench_function(format!("s4_v40_t12_{columns}cols_{rows}rows"), |b| {
        b.iter(|| exact::model_size(&costs, black_box(&whole)))
    });
    group.finish();
    let generated = instance_for_eval();
    let costs = Costs::new(&generated);
    let plan = Plan::stay(&generated);
    c.bench_function("evaluate/s8_v500_t24_stay", |b| {
        b.iter(|| evaluate(&costs, black_box(&plan)))
    });
}

fn instance_for_eval() -> wattshift::domain::instance::Instance {
    let options = GenerateOptions {
        sites: 8,
        vms: 500,
        windows: 24,
        seed: 1,
        ..Default::default()
    };
    generate(&options).expect("generates").instance
}

fn solvers_on_mid_sized(c: &mut Criterion) {
    let inst = mid_sized();
    let costs = Costs::new(&inst);
    let mut group = c.benchmark_group("solvers_s4_v40_t12");
    group.sample_size(10);
    for name in [
        "stay", "greedy", "pabfd", "paths", "local", "windows", "exact",
    ] {
        let Some(solver) = SolverSettings::default_for(name) else {
            continue;
        };
        // Fewer moves and the bare LP bound, so that each sample takes seconds.
        let solver = match solver {
            SolverSettings::Local(_) => SolverSettings::Local(LocalSettings {
                iterations: 5_000,
                ..LocalSettings::default()
            }),
            SolverSettings::Windows(_) => SolverSettings::Windows(WindowsSettings {
                iterations: 5_000,
                root_bound: false,
                ..WindowsSettings::default()
            }),
            other => other,
        };
        let settings = CommonSettings {
            time_limit_s: Some(30.0),
            ..CommonSettings::default()
        };
        group.bench_function(name, |b| {
            b.iter(|| solver.solve(&costs, &settings, Instant::now()))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    copy_rounds,
    evaluator,
    model_building,
    solvers_on_mid_sized
);
criterion_main!(benches);
