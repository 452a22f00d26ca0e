//! docs/FLEET.md's worked example: the files the guide shows are `instances/onboarding`'s,
//! and the instance validates and plans to the result the guide states.

use crate::cli::{plan_dir, repo};
use crate::common::TempDir;

/// The fenced blocks of a Markdown text whose info string is `name`.
fn block(markdown: &str, name: &str) -> Option<String> {
    let fence = format!("```{name}\n");
    let start = markdown.find(&fence)? + fence.len();
    let end = markdown[start..].find("```")?;
    Some(markdown[start..start + end].to_string())
}

#[test]
fn the_guide_shows_the_instance_and_states_its_plan() {
    let guide = std::fs::read_to_string(repo("docs/FLEET.md")).unwrap();
    let dir = repo("instances/onboarding");
    for name in ["sites.csv", "links.csv", "vms.csv", "params.toml"] {
        let shown = block(&guide, name).unwrap_or_else(|| panic!("FLEET.md shows no {name}"));
        let file = std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(shown, file, "FLEET.md's {name} differs from the instance's");
    }
    let windows = std::fs::read_to_string(dir.join("windows.csv")).unwrap();
    let first: String = windows.lines().take(4).map(|l| format!("{l}\n")).collect();
    assert_eq!(block(&guide, "text").unwrap(), first);

    let tmp = TempDir::new("onboarding");
    let out = tmp.path().join("plan");
    let run = plan_dir(&dir, &out, &["-q"]);
    assert!(run.status.success());
    let printed = String::from_utf8_lossy(&run.stdout).to_string();
    let shown = block(&guide, "console").unwrap();
    // Every line of the plan's summary the guide shows, but the runtime, is what plan prints.
    for line in printed.lines().filter(|l| !l.contains("runtime")) {
        assert!(shown.contains(line), "FLEET.md lacks {line:?}:\n{shown}");
    }
    let migrations = std::fs::read_to_string(out.join("migrations.csv")).unwrap();
    assert_eq!(migrations.lines().count(), 6, "{migrations}");
    assert!(migrations.contains(",render-1,fra1-large,sto1,respawn,"));
    let site_windows = std::fs::read_to_string(out.join("site_windows.csv")).unwrap();
    for line in site_windows.lines().filter(|l| l.contains(",fra1-large,")) {
        assert!(line.contains(",fra1-large,0,"), "{line}");
    }
}
