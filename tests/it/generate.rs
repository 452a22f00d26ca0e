//! The generator: deterministic, always valid, and faithful to the real data it draws from.

use crate::cli::wattshift;
use crate::common::TempDir;
use wattshift::generate::data::Data;
use wattshift::generate::{generate, GenerateOptions, Region};
use wattshift::io::read::read_instance;
use wattshift::io::write::instance_files;

fn files_of(options: &GenerateOptions) -> Vec<(&'static str, Vec<u8>)> {
    let generated = generate(options).expect("generates");
    let mut files = instance_files(&generated.instance);
    files.push(("README.md", generated.readme.into_bytes()));
    files
}

#[test]
fn same_arguments_and_seed_give_the_same_bytes() {
    let options = GenerateOptions {
        sites: 5,
        vms: 80,
        windows: 12,
        seed: 7,
        ..Default::default()
    };
    assert_eq!(files_of(&options), files_of(&options));
    let other = GenerateOptions {
        seed: 8,
        ..options.clone()
    };
    assert_ne!(files_of(&options), files_of(&other));
    // Through the command line too, into two directories.
    let tmp = TempDir::new("generate-twice");
    for name in ["a", "b"] {
        let out = tmp.path().join(name);
        let result = wattshift(&[
            "generate",
            "--sites",
            "3",
            "--vms",
            "20",
            "--windows",
            "6",
            "--seed",
            "3",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            result.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    for file in [
        "sites.csv",
        "vms.csv",
        "links.csv",
        "windows.csv",
        "usage.csv",
        "params.toml",
        "README.md",
    ] {
        assert_eq!(
            std::fs::read(tmp.path().join("a").join(file)).unwrap(),
            std::fs::read(tmp.path().join("b").join(file)).unwrap(),
            "{file} differs"
        );
    }
}

#[test]
fn every_generated_instance_validates_and_reads_back_equal() {
    let cases = vec![
        GenerateOptions {
            sites: 1,
            vms: 5,
            windows: 3,
            ..Default::default()
        },
        GenerateOptions {
            sites: 8,
            vms: 120,
            windows: 48,
            seed: 2,
            wind: true,
            ..Default::default()
        },
        GenerateOptions {
            sites: 6,
            vms: 40,
            windows: 10,
            year: 2022,
            region: Region::All,
            carbon_eur_per_t: 100.0,
            ..Default::default()
        },
        GenerateOptions {
            sites: 3,
            vms: 30,
            windows: 8,
            window_hours: 0.5,
            start: Some("2024-02-29T23".into()),
            max_migrations: Some(2),
            bandwidth_scale: 0.01,
            vnf_share: 0.5,
            anti_affinity_share: 0.4,
            ..Default::default()
        },
        GenerateOptions {
            sites: 20,
            vms: 10,
            windows: 2,
            window_hours: 3.0,
            region: Region::Us,
            ..Default::default()
        },
    ];
    for options in cases {
        let generated = generate(&options).expect("generates");
        let tmp = TempDir::new("generated");
        for (name, bytes) in instance_files(&generated.instance) {
            tmp.write(name, bytes);
        }
        let read = read_instance(tmp.path()).unwrap_or_else(|e| panic!("{options:?}: {e}"));
        assert_eq!(
            read, generated.instance,
            "{options:?}: reads back different"
        );
        // Staying put is feasible: every generated instance has a baseline.
        let costs = wattshift::scoring::costs::Costs::new(&read);
        let stay = wattshift::scoring::evaluate::evaluate(
            &costs,
            &wattshift::domain::plan::Plan::stay(&read),
        );
        assert!(
            stay.is_feasible(),
            "{options:?}: {:?}",
            stay.violations.first()
        );
    }
}

#[test]
fn prices_are_the_real_series_for_the_zone_and_hour() {
    // Day-ahead prices on 2024-05-01 at 11:00 UTC (hour 2915): DE-LU −120.00, NL −200.00
    // (RTE eco2mix, as in the data extract of instances/data).
    let options = GenerateOptions {
        sites: 2,
        vms: 4,
        windows: 24,
        zones: Some(vec!["DE-LU".into(), "NL".into()]),
        start: Some("2024-05-01".into()),
        ..Default::default()
    };
    let g = generate(&options).unwrap();
    assert_eq!(g.instance.price_eur_mwh[[11, 0]], -120.0);
    assert_eq!(g.instance.price_eur_mwh[[11, 1]], -200.0);
    assert_eq!(g.instance.window_start[[11, 0]], "2024-05-01T11:00:00Z");
    // Every window of every site is the series at that hour; US prices are converted.
    let data = Data::load();
    let options = GenerateOptions {
        sites: 6,
        vms: 4,
        windows: 72,
        year: 2022,
        region: Region::All,
        seed: 11,
        ..Default::default()
    };
    let g = generate(&options).unwrap();
    for (s, zone) in g.zones.iter().enumerate() {
        let series = &data.prices[&2022].series[zone];
        let rate = if zone.starts_with("US-") {
            1.0 / 1.0530
        } else {
            1.0
        };
        let carbon = &data.carbon[&2022].series[zone];
        for t in 0..72 {
            let hour = g.start_hour as usize + t;
            let expected = ((series[hour] * rate) * 100.0).round() / 100.0;
            assert_eq!(
                g.instance.price_eur_mwh[[t, s]],
                expected,
                "{zone} window {t}"
            );
            assert_eq!(
                g.instance.carbon_g_kwh[[t, s]],
                carbon[hour],
                "{zone} window {t}"
            );
        }
    }
    // Two-hour windows average their hours.
    let options = GenerateOptions {
        window_hours: 2.0,
        ..options
    };
    let g2 = generate(&options).unwrap();
    let zone = &g2.zones[0];
    let series = &data.prices[&2022].series[zone];
    let h = g2.start_hour as usize;
    let rate = if zone.starts_with("US-") {
        1.0 / 1.0530
    } else {
        1.0
    };
    let expected = ((series[h] + series[h + 1]) / 2.0 * rate * 100.0).round() / 100.0;
    assert_eq!(g2.instance.price_eur_mwh[[0, 0]], expected);
}

#[test]
fn utilisation_follows_the_planetlab_traces() {
    let data = Data::load();
    let options = GenerateOptions {
        sites: 4,
        vms: 300,
        windows: 24,
        seed: 5,
        ..Default::default()
    };
    let g = generate(&options).unwrap();
    let instance = &g.instance;
    let mut fleet = 0.0;
    for (v, vm) in instance.vms.iter().enumerate() {
        // 24 hourly windows cover the trace's whole day once, so their mean is the trace's.
        let trace = data
            .traces
            .iter()
            .find(|t| format!("{}/{}", t.day, t.name) == vm.annotations[1].1)
            .expect("trace");
        let trace_mean =
            trace.samples_pct.iter().sum::<f64>() / trace.samples_pct.len() as f64 / 100.0;
        let mean = instance.util.row(v).mean().unwrap();
        assert!(
            (mean - trace_mean).abs() < 1e-3,
            "{}: {mean} vs {trace_mean}",
            vm.id
        );
        fleet += mean;
    }
    // PlanetLab VMs are lightly loaded: about 10 % on average (data README).
    let fleet_mean = fleet / instance.num_vms() as f64;
    assert!(
        (0.06..0.14).contains(&fleet_mean),
        "fleet mean utilisation {fleet_mean}"
    );
}

#[test]
fn the_fleet_has_the_claimed_mix() {
    let options = GenerateOptions {
        sites: 6,
        vms: 1000,
        windows: 4,
        seed: 9,
        ..Default::default()
    };
    let g = generate(&options).unwrap();
    let instance = &g.instance;
    let share = |k: wattshift::domain::instance::MigrationKind| {
        instance.vms.iter().filter(|v| v.profile.kind == k).count() as f64 / 1000.0
    };
    assert!((share(wattshift::domain::instance::MigrationKind::Precopy) - 0.55).abs() < 0.05);
    assert!(share(wattshift::domain::instance::MigrationKind::Pinned) > 0.05);
    let vnfs = instance
        .vms
        .iter()
        .filter(|v| v.max_latency_ms.is_some())
        .count();
    assert!((90..=110).contains(&vnfs), "{vnfs} VNFs");
    let paired = instance
        .vms
        .iter()
        .filter(|v| v.anti_affinity.is_some())
        .count();
    assert!((90..=110).contains(&paired), "{paired} paired");
    for vm in &instance.vms {
        assert!((1.0..=16.0).contains(&vm.cpu) && (1.0..=64.0).contains(&vm.mem_gib));
        assert!(
            vm.profile.wss_gib <= vm.profile.mem_used_gib && vm.profile.mem_used_gib <= vm.mem_gib
        );
    }
    // Solar power is zero at night (midwinter, from midnight UTC in Europe), not at noon.
    let options = GenerateOptions {
        sites: 4,
        vms: 4,
        windows: 3,
        start: Some("2024-12-21".into()),
        ..Default::default()
    };
    let g = generate(&options).unwrap();
    assert!(g.instance.renewable_kw.iter().all(|&kw| kw == 0.0));
    let noon = GenerateOptions {
        start: Some("2024-06-21T11".into()),
        ..options
    };
    let g = generate(&noon).unwrap();
    assert!(g.instance.renewable_kw.iter().all(|&kw| kw > 0.0));
}

#[test]
fn impossible_options_are_usage_errors() {
    let tmp = TempDir::new("generate-bad");
    let out = tmp.path().join("out");
    for args in [
        vec!["--year", "2023"],
        vec!["--zones", "XX"],
        vec!["--start", "2024-13-01"],
        vec!["--start", "2024-12-31T20", "--windows", "24"],
    ] {
        let mut all = vec![
            "generate",
            "--sites",
            "2",
            "--vms",
            "3",
            "--windows",
            "4",
            "--out",
            out.to_str().unwrap(),
        ];
        all.extend(args.iter().copied());
        let result = wattshift(&all);
        assert_eq!(result.status.code(), Some(2), "{args:?}");
        assert!(!out.exists(), "{args:?} wrote output");
    }
}

/// Every shipped instance validates, and each generated one is exactly what the command in its
/// README makes today.
#[test]
fn shipped_instances_validate_and_generated_ones_regenerate_byte_for_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("instances");
    let mut generated = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() || dir.ends_with("data") {
            continue;
        }
        read_instance(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        let Some(command) = readme
            .lines()
            .find_map(|l| l.strip_prefix("Made by `wattshift generate "))
            .and_then(|rest| rest.split('`').next())
        else {
            continue;
        };
        generated += 1;
        let tmp = TempDir::new("regenerate");
        let out = tmp.path().join("out");
        let mut args: Vec<&str> = vec!["generate"];
        args.extend(command.split_whitespace());
        args.extend(["--out", out.to_str().unwrap()]);
        let result = wattshift(&args);
        assert_eq!(result.status.code(), Some(0), "{}", dir.display());
        for file in [
            "sites.csv",
            "vms.csv",
            "links.csv",
            "windows.csv",
            "usage.csv",
            "params.toml",
        ] {
            assert_eq!(
                std::fs::read(out.join(file)).unwrap(),
                std::fs::read(dir.join(file)).unwrap(),
                "{}: {file} is not what its command generates",
                dir.display()
            );
        }
        // The shipped README starts with the generated one and may add results after it.
        let fresh = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert!(
            readme.starts_with(fresh.trim_end()),
            "{}: README.md differs",
            dir.display()
        );
    }
    assert!(generated >= 5, "only {generated} generated instances found");
}

/// `--profiles K`: every VM copies one of K templates, so that without roles the classes of
/// identical VMs are at most K × sites whatever the fleet's size, and the same arguments give
/// the same bytes.
#[test]
fn profiles_make_few_classes_of_identical_vms() {
    use wattshift::scoring::costs::Costs;
    let options = |vms: usize| GenerateOptions {
        sites: 3,
        vms,
        windows: 4,
        profiles: Some(5),
        vnf_share: 0.0,
        anti_affinity_share: 0.0,
        ..GenerateOptions::default()
    };
    for vms in [100, 1000] {
        let instance = generate(&options(vms)).expect("generates").instance;
        let classes = wattshift::solvers::exact::problem_size(&Costs::new(&instance)).vm_classes;
        assert!(classes <= 5 * 3, "{vms} VMs in {classes} classes");
    }
    let a = generate(&options(200)).unwrap().instance;
    let b = generate(&options(200)).unwrap().instance;
    assert_eq!(a, b);
    let without = generate(&GenerateOptions {
        profiles: None,
        ..options(200)
    })
    .unwrap()
    .instance;
    assert!(wattshift::solvers::exact::problem_size(&Costs::new(&without)).vm_classes > 100);
}
