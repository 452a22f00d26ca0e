//! The decomposition split over shard processes: `bound --shards N` runs the VM subproblems in
//! N `wattshift shard` processes and must give the bound and the plan of one process, bit for
//! bit; the plan is feasible and the bound below it.

use crate::cli::wattshift;
use crate::common::TempDir;
use wattshift::io::read::{read_instance, read_placement};
use wattshift::scoring::costs::Costs;
use wattshift::scoring::evaluate::evaluate;

fn bound(dir: &str, shards: &str, placement: &str) -> serde_json::Value {
    let out = wattshift(&[
        "bound",
        dir,
        "--iterations",
        "15",
        "--shards",
        shards,
        "--placement",
        placement,
        "--json",
    ]);
    assert!(
        out.status.success(),
        "bound --shards {shards}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("bound --json prints JSON")
}

#[test]
fn shards_in_processes_give_the_bound_and_plan_of_one_process() {
    let tmp = TempDir::new("shards");
    let dir = tmp.path().join("fleet");
    // 700 distinct VMs: three chunks of VM groups, so three shards get one each and two
    // shards split them unevenly.
    let generated = wattshift(&[
        "generate",
        "--sites",
        "4",
        "--vms",
        "700",
        "--windows",
        "4",
        "--seed",
        "5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(generated.status.success());
    let dir = dir.to_str().unwrap();
    let one = tmp.path().join("one.csv");
    let one_report = bound(dir, "0", one.to_str().unwrap());
    assert_eq!(one_report["vm_groups"], 700);
    for shards in ["2", "3"] {
        let many = tmp.path().join(format!("shards-{shards}.csv"));
        let report = bound(dir, shards, many.to_str().unwrap());
        assert_eq!(report, one_report, "{shards} shards");
        assert_eq!(
            std::fs::read(&many).unwrap(),
            std::fs::read(&one).unwrap(),
            "the plan with {shards} shards"
        );
    }
    // The plan is feasible, costs what the report says, and the bound is below it.
    let instance = read_instance(std::path::Path::new(dir)).unwrap();
    let plan = read_placement(&one, &instance).unwrap();
    let costs = Costs::new(&instance);
    let e = evaluate(&costs, &plan);
    assert!(e.is_feasible());
    let plan_eur = one_report["plan_eur"].as_f64().unwrap();
    assert!((e.objective_eur - plan_eur).abs() <= 1e-9 * plan_eur.abs().max(1.0));
    let bound_eur = one_report["bound_eur"].as_f64().unwrap();
    assert!(bound_eur <= plan_eur + 1e-9, "{bound_eur} > {plan_eur}");
}

#[test]
fn a_shard_refuses_prices_of_another_shape() {
    let tmp = TempDir::new("shard-prices");
    let prices = tmp.write(
        "prices.json",
        r#"{"windows": 1, "sites": 1, "cpu": [0], "mem": [0], "busy": [0]}"#,
    );
    let out = tmp.path().join("sums.json");
    let result = wattshift(&[
        "shard",
        "instances/eu-day",
        "--prices",
        prices.to_str().unwrap(),
        "--index",
        "0",
        "--count",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("prices.json"), "{stderr}");
    assert!(stderr.contains("1 windows x 1 sites"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn shard_processes_return_the_chunks_this_process_computes() {
    use wattshift::solvers::lagrange::{ChunkSum, Prices, PricesFile, VmSide};
    let tmp = TempDir::new("shard-chunks");
    let dir = tmp.path().join("fleet");
    let generated = wattshift(&[
        "generate",
        "--sites",
        "3",
        "--vms",
        "600",
        "--windows",
        "3",
        "--seed",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(generated.status.success());
    let instance = read_instance(&dir).unwrap();
    let costs = Costs::new(&instance);
    let prices = Prices::fluid(&costs);
    let prices_path = tmp.write(
        "prices.json",
        serde_json::to_string(&PricesFile::from(&prices)).unwrap(),
    );
    let mut from_shards: Vec<ChunkSum> = Vec::new();
    for index in ["0", "1"] {
        let out = tmp.path().join(format!("sums-{index}.json"));
        let run = wattshift(&[
            "shard",
            dir.to_str().unwrap(),
            "--prices",
            prices_path.to_str().unwrap(),
            "--index",
            index,
            "--count",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let mut sums: Vec<ChunkSum> =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        from_shards.append(&mut sums);
    }
    from_shards.sort_by_key(|sum| sum.chunk);
    let side = VmSide::new(&costs);
    assert_eq!(side.num_chunks(), 3);
    let chunks: Vec<usize> = (0..side.num_chunks()).collect();
    let here = side.solve(&prices, &chunks, &|| false).unwrap();
    assert_eq!(from_shards, here);
}
