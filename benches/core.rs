//! Benchmarks of the core: the copy-round model, the evaluator, building and solving the MILP.
//! Run with `cargo bench --bench core`. Figures belong in notes as ratios from one run.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use wattshift::costs::Costs;
use wattshift::evaluate::evaluate;
use wattshift::instance::{MigrationKind, MigrationProfile, Params};
use wattshift::io::read::read_instance;
use wattshift::migration::{estimate, estimate_batch};
use wattshift::plan::Plan;
use wattshift::solvers::{exact, SolveSettings};

fn instance(name: &str) -> wattshift::instance::Instance {
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

fn exact_solver(c: &mut Criterion) {
    let mut group = c.benchmark_group("exact");
    group.sample_size(10);
    for name in ["instances/paper-testbed", "tests/data/tiny-kinds"] {
        let inst = instance(name);
        let costs = Costs::new(&inst);
        group.bench_function(name, |b| {
            b.iter(|| exact::solve(&costs, &SolveSettings::default(), Instant::now()))
        });
    }
    group.finish();
}

criterion_group!(benches, copy_rounds, evaluator, exact_solver);
criterion_main!(benches);
