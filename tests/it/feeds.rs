//! `import`: real feed formats (samples in tests/data/feeds, written from each format's
//! documentation) fill one site's column of windows.csv, averaged over each window by overlap;
//! a window the feed does not cover is an error and nothing is written.

use crate::cli::{repo, wattshift};
use crate::common::TempDir;
use std::path::Path;

fn testbed_copy(tmp: &TempDir) -> std::path::PathBuf {
    let dir = tmp.path().join("testbed");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo("instances/paper-testbed")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

/// The column `column` of `site`'s rows of windows.csv, by window.
fn column(dir: &Path, site: &str, column: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(dir.join("windows.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (w, s, c) = (at("window"), at("site"), at(column));
    let mut values: Vec<(usize, f64)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[s] == site)
        .map(|r| (r[w].parse().unwrap(), r[c].parse().unwrap_or(0.0)))
        .collect();
    values.sort_by_key(|v| v.0);
    values.into_iter().map(|v| v.1).collect()
}

fn import(feed: &str, file: &str, site: &str, dir: &Path) -> std::process::Output {
    let path = repo(&format!("tests/data/feeds/{file}"));
    wattshift(&[
        "import",
        feed,
        path.to_str().unwrap(),
        "--site",
        site,
        "--into",
        dir.to_str().unwrap(),
    ])
}

#[test]
fn every_feed_fills_its_sites_column_with_overlap_weighted_averages() {
    let tmp = TempDir::new("feeds");
    let dir = testbed_copy(&tmp);
    let prices_before = column(&dir, "fredericia", "price_eur_mwh");
    type Expected = fn(usize) -> f64;
    let cases: [(&str, &str, &str, Expected); 5] = [
        // 30-minute points 100 + h and 200 + h: their mean.
        (
            "carbon-aware",
            "carbon-aware-forecast.json",
            "carbon_g_kwh",
            |h| 150.0 + h as f64,
        ),
        (
            "carbon-aware",
            "carbon-aware-bylocation.json",
            "carbon_g_kwh",
            |h| 300.0 - h as f64,
        ),
        (
            "electricitymaps",
            "electricitymaps-history.json",
            "carbon_g_kwh",
            |h| 400.0 + 2.0 * h as f64,
        ),
        // CET/CEST intervals, two hours ahead of UTC in May.
        ("entsoe", "entsoe-hourly.csv", "price_eur_mwh", |h| {
            50.0 + h as f64
        }),
        // Quarter hours 0, 10, 20, 30.
        ("entsoe", "entsoe-15min.csv", "price_eur_mwh", |_| 15.0),
    ];
    for (feed, file, col, expected) in cases {
        let run = import(feed, file, "eemshaven", &dir);
        assert!(
            run.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let values = column(&dir, "eemshaven", col);
        assert_eq!(values.len(), 24);
        for (h, v) in values.iter().enumerate() {
            assert!((v - expected(h)).abs() < 1e-9, "{file} window {h}: {v}");
        }
        // The other site is untouched, and the instance still validates and plans.
        assert_eq!(column(&dir, "fredericia", "price_eur_mwh"), prices_before);
        assert!(wattshift(&["validate", dir.to_str().unwrap()])
            .status
            .success());
    }
}

#[test]
fn a_window_the_feed_does_not_cover_is_an_error_and_nothing_is_written() {
    let tmp = TempDir::new("feeds-gap");
    let dir = testbed_copy(&tmp);
    let before = std::fs::read(dir.join("windows.csv")).unwrap();
    let run = import(
        "carbon-aware",
        "carbon-aware-forecast-gap.json",
        "eemshaven",
        &dir,
    );
    assert_eq!(run.status.code(), Some(2));
    let message = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(message.contains("window 5 of site eemshaven"), "{message}");
    assert!(
        message.contains("2024-05-01T05:00:00Z to 2024-05-01T05:30:00Z"),
        "{message}"
    );
    assert_eq!(std::fs::read(dir.join("windows.csv")).unwrap(), before);
    // An unknown site, and a feed in the wrong format: usage and input errors, nothing written.
    assert_eq!(
        import("entsoe", "entsoe-hourly.csv", "nowhere", &dir)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        import("entsoe", "electricitymaps-history.json", "eemshaven", &dir)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(std::fs::read(dir.join("windows.csv")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());
}
