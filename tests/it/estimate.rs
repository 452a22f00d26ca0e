//! `wattshift estimate` reproduces the seed study's block live-migration measurements.

use crate::cli::wattshift;

/// Total seconds to block-migrate 10 VMs (2 GiB RAM, 10 GiB disk) over 1 Gbit/s, for memory
/// dirtied by `stress` of 0 / 1702 / 1798 / 1830 / 1844 / 1860 MB, as measured in the seed study.
const STRESS_MB: [f64; 6] = [0.0, 1702.0, 1798.0, 1830.0, 1844.0, 1860.0];
const MEASURED_3_CONCURRENT: [f64; 6] = [810.0, 953.0, 956.0, 959.0, 963.0, 967.0];
const MEASURED_10_CONCURRENT: [f64; 6] = [802.0, 931.0, 939.0, 944.0, 948.0, 954.0];

fn batch_total_s(stress_mb: f64, concurrency: u32) -> serde_json::Value {
    // Memory in use: 0.28 GiB unloaded, stress/1024 + 0.14 GiB loaded, at most the VM's 2 GiB.
    let mem_used_gib = if stress_mb == 0.0 {
        0.28
    } else {
        (stress_mb / 1024.0 + 0.14).min(2.0)
    };
    let output = wattshift(&[
        "estimate",
        "--kind",
        "block",
        "--mem-gib",
        "2",
        "--mem-used-gib",
        &mem_used_gib.to_string(),
        "--wss-gib",
        "0.0625",
        "--disk-gib",
        "8.44",
        "--dirty-mib-s",
        "1",
        "--bandwidth-gbps",
        "1",
        "--link-efficiency",
        "0.94",
        "--concurrency",
        &concurrency.to_string(),
        "--count",
        "10",
        "--setup-s",
        "3",
        "--resume-s",
        "0.05",
        "--max-downtime-ms",
        "300",
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn seed_study_block_migrations_within_two_percent() {
    for (concurrency, measured) in [(3, MEASURED_3_CONCURRENT), (10, MEASURED_10_CONCURRENT)] {
        for (stress, expected) in STRESS_MB.iter().zip(measured) {
            let j = batch_total_s(*stress, concurrency);
            let total = j["total_s"].as_f64().unwrap();
            let error = (total - expected).abs() / expected;
            assert!(
                error <= 0.02,
                "stress {stress} MB, {concurrency} concurrent: model {total:.1} s, measured {expected} s ({:.2} %)",
                100.0 * error
            );
            let per_vm = &j["per_vm"];
            assert_eq!(per_vm["converged"], true);
            for key in ["total_s", "downtime_s", "sent_bytes", "rounds", "energy_j"] {
                assert!(per_vm[key].is_number(), "per_vm.{key} missing");
            }
            // One VM of the first wave takes no longer than the whole batch.
            assert!(per_vm["total_s"].as_f64().unwrap() <= total);
        }
    }
}

#[test]
fn estimate_prints_each_round_and_rejects_bad_flags() {
    let output = wattshift(&[
        "estimate",
        "--kind",
        "precopy",
        "--mem-gib",
        "8",
        "--dirty-mib-s",
        "50",
        "--wss-gib",
        "1",
        "--bandwidth-gbps",
        "10",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("round  1:"), "{stdout}");
    assert!(stdout.contains("round  2:"), "{stdout}");
    assert!(stdout.contains("downtime"), "{stdout}");
    assert!(stdout.contains("converged yes"), "{stdout}");

    let hot = wattshift(&[
        "estimate",
        "--mem-gib",
        "8",
        "--dirty-mib-s",
        "2000",
        "--bandwidth-gbps",
        "1",
        "--json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&hot.stdout).unwrap();
    assert_eq!(j["per_vm"]["converged"], false);
    assert_eq!(j["per_vm"]["rounds"], 30);

    let bad = wattshift(&[
        "estimate",
        "--mem-gib",
        "2",
        "--mem-used-gib",
        "3",
        "--bandwidth-gbps",
        "1",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let missing = wattshift(&["estimate", "--mem-gib", "2"]);
    assert_eq!(missing.status.code(), Some(2));
    let respawn = wattshift(&[
        "estimate",
        "--kind",
        "respawn",
        "--mem-gib",
        "2",
        "--boot-s",
        "45",
        "--json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&respawn.stdout).unwrap();
    assert_eq!(j["per_vm"]["total_s"], 45.0);
    assert_eq!(j["per_vm"]["downtime_s"], 0.0);
}
