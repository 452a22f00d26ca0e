//! A plan for OpenStack: an action plan in OpenStack Watcher's shape, and a bash script of
//! `openstack server migrate` commands. Both take each VM's compute node from a [`Packing`]
//! and keep the plan's schedule: a window's migrations start after the previous window's have
//! ended, and within a window a migration waits for those before it on its link slots, so that
//! no link carries more than `concurrency` migrations at once (docs/OPENSTACK.md).

use crate::domain::instance::{Instance, MigrationKind};
use crate::io::write::window_start_utc;
use crate::nodes::{Node, Packing};
use crate::scoring::evaluate::Evaluation;
use crate::scoring::schedule::Slot;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The namespace of wattshift's action plan UUIDs (version 5).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5f2c_7a1e_93d4_4b6a_8e0f_1c2d_3b4a_5968);

/// One migration as OpenStack runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    /// Index in the evaluation's migrations; `None` for a move between two nodes of one site
    /// that the packing needs (a rebalance), which the plan does not cost.
    pub index: Option<usize>,
    /// The window.
    pub window: usize,
    /// The server: the VM's `x_uuid` where vms.csv has one, else its id.
    pub server: String,
    /// The VM's id.
    pub vm: String,
    /// Source and destination compute nodes (empty where the VM fits on no node).
    pub source_node: String,
    /// Destination node.
    pub destination_node: String,
    /// How it moves.
    pub kind: MigrationKind,
    /// Start within the window and duration, s.
    pub start_s: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// The moves it waits for within its window (indices into the moves), one per link slot it
    /// takes that an earlier move used.
    pub after: Vec<usize>,
}

/// A migration wattshift plans that OpenStack cannot run as one.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The window.
    pub window: usize,
    /// The VM.
    pub vm: String,
    /// Why.
    pub reason: String,
}

/// The server name of VM `v`: its `x_uuid` annotation where present and non-empty.
fn server(instance: &Instance, v: usize) -> String {
    let vm = &instance.vms[v];
    vm.annotations
        .iter()
        .find(|(name, value)| name == "x_uuid" && !value.is_empty())
        .map_or_else(|| vm.id.clone(), |(_, value)| value.clone())
}

/// The plan's migrations as moves between nodes, window by window, each with the moves it
/// waits for on its link slots; before them, each window's rebalances (moves between nodes of
/// one site that the packing needs); and the migrations OpenStack has no action for.
pub fn moves(
    instance: &Instance,
    evaluation: &Evaluation,
    slots: &[Slot],
    packing: &Packing,
    nodes: &[Node],
) -> (Vec<Move>, Vec<Skipped>) {
    let name = |n: Option<usize>| n.map_or(String::new(), |n| nodes[n].name.clone());
    let mut moves: Vec<Move> = Vec::new();
    let mut skipped = Vec::new();
    // Per window and link direction, the lanes (slots): each lane's last move and its end.
    let mut lanes: BTreeMap<(usize, usize), Vec<(usize, f64)>> = BTreeMap::new();
    let mut order: Vec<usize> = (0..evaluation.migrations.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&evaluation.migrations[a], &evaluation.migrations[b]);
        x.window
            .cmp(&y.window)
            .then(slots[a].start_s.total_cmp(&slots[b].start_s))
            .then(a.cmp(&b))
    });
    let mut by_window: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in order {
        by_window
            .entry(evaluation.migrations[i].window)
            .or_default()
            .push(i);
    }
    let windows = instance.num_windows();
    for t in 0..windows {
        // First the window's rebalances: VMs the packing moves between nodes of their site, so that
        // arrivals find room; the plan's migrations into that site wait for them.
        let mut rebalanced_at: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (v, vm) in instance.vms.iter().enumerate() {
            let (before, now) = if t == 0 {
                (
                    packing.initial.get(v).copied().flatten(),
                    packing.node[v].first().copied().flatten(),
                )
            } else {
                (
                    packing.node[v].get(t - 1).copied().flatten(),
                    packing.node[v].get(t).copied().flatten(),
                )
            };
            let (Some(a), Some(b)) = (before, now) else {
                continue;
            };
            if a == b || nodes[a].site != nodes[b].site {
                continue;
            }
            if vm.profile.kind == MigrationKind::Pinned || vm.profile.kind == MigrationKind::Respawn
            {
                skipped.push(Skipped {
                    window: t,
                    vm: vm.id.clone(),
                    reason: format!(
                        "node change within {} ({} to {}) that a {} VM cannot make; the packing \
                     needs it, so give the site more room or let the VM move",
                        instance.sites[nodes[a].site].id,
                        nodes[a].name,
                        nodes[b].name,
                        vm.profile.kind
                    ),
                });
                continue;
            }
            rebalanced_at
                .entry(nodes[b].site)
                .or_default()
                .push(moves.len());
            moves.push(Move {
                index: None,
                window: t,
                server: server(instance, v),
                vm: vm.id.clone(),
                source_node: nodes[a].name.clone(),
                destination_node: nodes[b].name.clone(),
                kind: vm.profile.kind,
                start_s: 0.0,
                duration_s: 0.0,
                after: Vec::new(),
            });
        }
        for &i in by_window.get(&t).map_or(&[][..], Vec::as_slice) {
            let m = &evaluation.migrations[i];
            let vm = &instance.vms[m.vm];
            if m.kind == MigrationKind::Respawn {
                skipped.push(Skipped {
                    window: m.window,
                    vm: vm.id.clone(),
                    reason: format!(
                    "respawn: destroyed at {} and started anew at {}; OpenStack has no migration \
                     for it (recreate it there with your orchestrator, e.g. a Heat stack or an \
                     autoscaling group)",
                    instance.sites[m.from].id, instance.sites[m.to].id
                ),
                });
                continue;
            }
            let source = if m.window == 0 {
                packing.initial.get(m.vm).copied().flatten()
            } else {
                packing.node[m.vm].get(m.window - 1).copied().flatten()
            };
            let destination = packing.node[m.vm].get(m.window).copied().flatten();
            let start = slots[i].start_s;
            let end = start + m.duration_s;
            let mut after = Vec::new();
            for &link in &m.links {
                let lanes = lanes.entry((m.window, link)).or_default();
                // The lane that freed up first among those free by the start.
                let free = lanes
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, lane_end))| *lane_end <= start + 1e-6)
                    .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
                    .map(|(k, _)| k);
                let index = moves.len();
                match free {
                    Some(k) => {
                        if !after.contains(&lanes[k].0) {
                            after.push(lanes[k].0);
                        }
                        lanes[k] = (index, end);
                    }
                    None => lanes.push((index, end)),
                }
            }
            if let Some(rebalances) = rebalanced_at.get(&m.to) {
                after.extend(rebalances.iter().copied());
            }
            after.sort_unstable();
            after.dedup();
            moves.push(Move {
                index: Some(i),
                window: m.window,
                server: server(instance, m.vm),
                vm: vm.id.clone(),
                source_node: name(source),
                destination_node: name(destination),
                kind: m.kind,
                start_s: start,
                duration_s: m.duration_s,
                after,
            });
        }
    }
    (moves, skipped)
}

/// A compute node the plan switches on or off: its cost counts a host without load as off, so
/// the exports carry the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerChange {
    /// The window it belongs to: a node goes on before the window's first arrival on it, and off
    /// once its last VM has left in that window.
    pub window: usize,
    /// The node's name.
    pub node: String,
    /// On (true) or off.
    pub on: bool,
}

/// The power changes the packing implies, window by window, nodes in list order: a node that
/// holds a VM in window t and held none before (in window t − 1, or in the starting placement
/// for t = 0) goes on; one that held a VM before and holds none in t goes off. A node empty in
/// the starting placement is taken to be off, as the plan's cost takes it.
pub fn power_changes(instance: &Instance, packing: &Packing, nodes: &[Node]) -> Vec<PowerChange> {
    let used = |column: &dyn Fn(usize) -> Option<usize>| -> Vec<bool> {
        let mut used = vec![false; nodes.len()];
        for v in 0..instance.num_vms() {
            if let Some(n) = column(v) {
                used[n] = true;
            }
        }
        used
    };
    let mut before = used(&|v| packing.initial.get(v).copied().flatten());
    let mut out = Vec::new();
    for t in 0..instance.num_windows() {
        let now = used(&|v| packing.node[v].get(t).copied().flatten());
        for (n, node) in nodes.iter().enumerate() {
            if now[n] != before[n] {
                out.push(PowerChange {
                    window: t,
                    node: node.name.clone(),
                    on: now[n],
                });
            }
        }
        before = now;
    }
    out
}

/// When each window starts, seconds since the Unix epoch: from windows.csv's `start` where it
/// has one, else `start` (given by the operator) plus the windows before it; `None` where
/// neither is known.
pub fn window_clock(instance: &Instance, start: Option<jiff::Timestamp>) -> Option<Vec<f64>> {
    let window_s = instance.params.window_s();
    (0..instance.num_windows())
        .map(|t| match crate::io::write::window_timestamp(instance, t) {
            Some(ts) => Some(ts.as_millisecond() as f64 / 1000.0),
            None => start.map(|s| s.as_millisecond() as f64 / 1000.0 + t as f64 * window_s),
        })
        .collect()
}

/// The windows with a move or a power change, in order: the ones an export opens.
fn busy_windows(moves: &[Move], power: &[PowerChange]) -> Vec<usize> {
    let mut windows: Vec<usize> = moves
        .iter()
        .map(|m| m.window)
        .chain(power.iter().map(|p| p.window))
        .collect();
    windows.sort_unstable();
    windows.dedup();
    windows
}

/// Watcher's migration type for a kind: `cold` for offline, `live` for the others.
fn migration_type(kind: MigrationKind) -> &'static str {
    match kind {
        MigrationKind::Offline => "cold",
        _ => "live",
    }
}

/// The action plan in Watcher's shape (docs/OPENSTACK.md): `actions`, each with `uuid`,
/// `action_plan_uuid`, `action_type` (`migrate`, or `nop` for the barrier that opens each
/// window), `input_parameters`, `parents`, `state` (`PENDING`) and `description`; and `skipped`.
/// `seed` makes the UUIDs this plan's own: the same seed and plan give the same UUIDs.
pub fn watcher_plan(
    instance: &Instance,
    moves: &[Move],
    skipped: &[Skipped],
    power: &[PowerChange],
    seed: &[u8],
) -> Value {
    let plan_uuid = uuid::Uuid::new_v5(&NAMESPACE, seed);
    let id = |name: &str| uuid::Uuid::new_v5(&plan_uuid, name.as_bytes()).to_string();
    let action = |uuid: &str, kind: &str, input: Value, parents: &[String], description: String| {
        json!({
            "uuid": uuid,
            "action_plan_uuid": plan_uuid.to_string(),
            "action_type": kind,
            "input_parameters": input,
            "parents": parents,
            "state": "PENDING",
            "description": description,
        })
    };
    let mut actions = Vec::new();
    let windows = busy_windows(moves, power);
    let window_s = instance.params.window_s();
    let mut previous: Vec<String> = Vec::new();
    let mut previous_window: Option<(usize, String)> = None;
    for t in windows {
        let start = window_start_utc(instance, t);
        let at = start
            .as_deref()
            .map_or(String::new(), |s| format!(" ({s})"));
        let barrier = id(&format!("window/{t}"));
        // The clock: a window's barrier waits the windows' length after the last one's.
        let mut parents = previous.clone();
        if let Some((p, previous_barrier)) = &previous_window {
            let sleep = id(&format!("window/{t}/sleep"));
            let duration = (t - p) as f64 * window_s;
            actions.push(action(
                &sleep,
                "sleep",
                json!({ "duration": duration }),
                std::slice::from_ref(previous_barrier),
                format!(
                    "wattshift: wait {duration:.0} s from window {p}'s start to window {t}'s{at}"
                ),
            ));
            parents.push(sleep);
        }
        actions.push(action(
            &barrier,
            "nop",
            json!({ "message": format!("wattshift: window {t}{at} begins") }),
            &parents,
            format!(
                "Barrier: window {t} starts after the window before has ended and its length \
                 has passed"
            ),
        ));
        // Nodes that go on: powered on, then their nova-compute service enabled, before any
        // arrival.
        let mut enabled: BTreeMap<&str, String> = BTreeMap::new();
        for p in power.iter().filter(|p| p.window == t && p.on) {
            let on = id(&format!("window/{t}/node/{}/on", p.node));
            let enable = id(&format!("window/{t}/node/{}/enable", p.node));
            actions.push(action(
                &on,
                "change_node_power_state",
                json!({ "resource_id": p.node, "resource_name": p.node, "state": "on" }),
                std::slice::from_ref(&barrier),
                format!("wattshift: power on {} for window {t}{at}", p.node),
            ));
            actions.push(action(
                &enable,
                "change_nova_service_state",
                json!({ "resource_id": p.node, "resource_name": p.node, "state": "enabled" }),
                std::slice::from_ref(&on),
                format!(
                    "wattshift: enable nova-compute on {} for window {t}{at}",
                    p.node
                ),
            ));
            enabled.insert(p.node.as_str(), enable);
        }
        let uuid_of = |m: &Move| id(&format!("window/{}/vm/{}", m.window, m.vm));
        previous = Vec::new();
        let in_window: Vec<&Move> = moves.iter().filter(|m| m.window == t).collect();
        for m in &in_window {
            let mut parents = vec![barrier.clone()];
            parents.extend(m.after.iter().map(|&k| uuid_of(&moves[k])));
            if let Some(enable) = enabled.get(m.destination_node.as_str()) {
                parents.push(enable.clone());
            }
            let uuid = uuid_of(m);
            previous.push(uuid.clone());
            let description =
                if m.index.is_none() {
                    format!(
                        "wattshift: {} rebalance of {} from {} to {} within its site in window \
                     {t}{at}, so that the window's arrivals fit",
                        m.vm, m.server, m.source_node, m.destination_node,
                    )
                } else {
                    format!(
                    "wattshift: {} {} migration of {} from {} to {} in window {t}{at}, planned \
                     to start {:.0} s into it and take {:.0} s",
                    m.vm, m.kind, m.server, m.source_node, m.destination_node, m.start_s,
                    m.duration_s
                )
                };
            actions.push(action(
                &uuid,
                "migrate",
                json!({
                    "resource_id": m.server,
                    "migration_type": migration_type(m.kind),
                    "source_node": m.source_node,
                    "destination_node": m.destination_node,
                }),
                &parents,
                description,
            ));
        }
        // Nodes that go off: their nova-compute service disabled once the last VM has left
        // (so that Nova schedules nothing there), then powered off.
        for p in power.iter().filter(|p| p.window == t && !p.on) {
            let disable = id(&format!("window/{t}/node/{}/disable", p.node));
            let off = id(&format!("window/{t}/node/{}/off", p.node));
            let mut parents = vec![barrier.clone()];
            parents.extend(
                in_window
                    .iter()
                    .filter(|m| m.source_node == p.node)
                    .map(|m| uuid_of(m)),
            );
            actions.push(action(
                &disable,
                "change_nova_service_state",
                json!({
                    "resource_id": p.node,
                    "resource_name": p.node,
                    "state": "disabled",
                    "disabled_reason": "watcher_wattshift_power_off",
                }),
                &parents,
                format!(
                    "wattshift: disable nova-compute on {}, empty from window {t}{at}",
                    p.node
                ),
            ));
            actions.push(action(
                &off,
                "change_node_power_state",
                json!({ "resource_id": p.node, "resource_name": p.node, "state": "off" }),
                std::slice::from_ref(&disable),
                format!("wattshift: power off {}, empty from window {t}{at}", p.node),
            ));
            previous.push(off);
        }
        previous_window = Some((t, barrier));
    }
    json!({
        "action_plan_uuid": plan_uuid.to_string(),
        "actions": actions,
        "skipped": skipped.iter().map(|s| json!({
            "window": s.window,
            "vm": s.vm,
            "reason": s.reason,
        })).collect::<Vec<_>>(),
    })
}

/// Quotes a word for bash.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A bash script that applies the plan with the `openstack` client, window by window, on the
/// plan's clock: it waits for each window's start (`clock`, seconds since the epoch; without
/// one it refuses `--execute`), powers on and enables the nodes the window needs, runs the
/// migrations in waves by link slot (a wave's migrations run in parallel, each waiting for the
/// ones it follows on its slots, no wave before its planned start), each `--wait`ed for, then
/// disables and powers off the nodes the window empties. The first failure stops the script.
/// Without `--execute` it only prints the commands and the waits (a dry run).
pub fn openstack_script(
    instance: &Instance,
    moves: &[Move],
    skipped: &[Skipped],
    power: &[PowerChange],
    clock: Option<&[f64]>,
) -> String {
    let mut out = String::new();
    out.push_str(
        "#!/usr/bin/env bash\n\
         # Written by wattshift (`wattshift export openstack`): the plan's migrations as\n\
         # `openstack server migrate` commands, window by window, each window no earlier than\n\
         # its start, with the compute nodes the plan switches on and off. Dry run by default:\n\
         # it prints what it would run and wait for. Run it with --execute to migrate.\n\
         # It needs the openstack client with admin credentials in the environment, compute\n\
         # API 2.56 or later (a destination host for cold migrations), and Ironic for the\n\
         # nodes' power.\n\
         set -euo pipefail\n\
         EXECUTE=0\n\
         if [ \"${1:-}\" = \"--execute\" ]; then EXECUTE=1; fi\n\
         export OS_COMPUTE_API_VERSION=\"${OS_COMPUTE_API_VERSION:-2.56}\"\n\
         run() {\n  echo \"+ $*\"\n  if [ \"$EXECUTE\" = 1 ]; then \"$@\"; fi\n}\n\
         # Waits until a moment (seconds since the epoch), saying what for.\n\
         wait_until() {\n  local target=$1 left\n  left=$(( target - $(date +%s) ))\n  if [ \"$left\" -gt 0 ]; then\n    echo \"wattshift: waiting ${left} s for $2\"\n    if [ \"$EXECUTE\" = 1 ]; then sleep \"$left\"; fi\n  fi\n}\n\
         # Runs the commands of one wave in parallel and stops at the first that fails.\n\
         wave() {\n  local pids=() status=0 cmd pid\n  if [ \"$EXECUTE\" != 1 ]; then\n    for cmd in \"$@\"; do eval \"run $cmd\"; done\n    return 0\n  fi\n  for cmd in \"$@\"; do\n    eval \"run $cmd\" &\n    pids+=(\"$!\")\n  done\n  for pid in \"${pids[@]}\"; do\n    wait \"$pid\" || status=$?\n  done\n  if [ \"$status\" -ne 0 ]; then\n    echo \"wattshift: a migration failed; stopping before the next one\" >&2\n    exit \"$status\"\n  fi\n}\n",
    );
    if clock.is_none() {
        out.push_str(
            "# windows.csv gives no start times and the export was given no --start: the\n\
             # script cannot keep the plan's clock, so it only prints.\n\
             if [ \"$EXECUTE\" = 1 ]; then\n  echo \"wattshift: no window start times (windows.csv has no start; export with --start); refusing to --execute\" >&2\n  exit 2\nfi\n",
        );
    }
    for s in skipped {
        let _ = writeln!(
            out,
            "# skipped in window {}: {} ({})",
            s.window, s.vm, s.reason
        );
    }
    let windows = busy_windows(moves, power);
    let epoch = |t: usize, offset_s: f64| -> Option<i64> {
        clock
            .and_then(|c| c.get(t))
            .map(|s| (s + offset_s).ceil() as i64)
    };
    let service = |node: &str, enable: bool| {
        if enable {
            format!(
                "openstack compute service set --enable -- {} nova-compute",
                sh(node)
            )
        } else {
            format!(
                "openstack compute service set --disable --disable-reason wattshift -- {} \
                 nova-compute",
                sh(node)
            )
        }
    };
    for t in windows {
        let start = window_start_utc(instance, t);
        let _ = writeln!(
            out,
            "\n# window {t}{}",
            start
                .as_deref()
                .map_or(String::new(), |s| format!(", starting {s}"))
        );
        if let Some(at) = epoch(t, 0.0) {
            let _ = writeln!(out, "wait_until {at} {}", sh(&format!("window {t}")));
        }
        for p in power.iter().filter(|p| p.window == t && p.on) {
            let _ = writeln!(
                out,
                "# {} holds VMs from window {t}: power on, then accept instances\n\
                 run openstack baremetal node power on -- {}\nrun {}",
                p.node,
                sh(&p.node),
                service(&p.node, true)
            );
        }
        // A move's wave: one more than the latest wave among those it waits for.
        let in_window: Vec<(usize, &Move)> = moves
            .iter()
            .enumerate()
            .filter(|(_, m)| m.window == t)
            .collect();
        let mut wave_of: BTreeMap<usize, usize> = BTreeMap::new();
        for (k, m) in &in_window {
            let wave = m
                .after
                .iter()
                .filter_map(|a| wave_of.get(a))
                .map(|w| w + 1)
                .max()
                .unwrap_or(0);
            wave_of.insert(*k, wave);
        }
        let waves = wave_of.values().max().map_or(0, |w| w + 1);
        for w in 0..waves {
            // A wave starts no earlier than the earliest planned start among its moves.
            let first_start = in_window
                .iter()
                .filter(|(k, _)| wave_of[k] == w)
                .map(|(_, m)| m.start_s)
                .fold(f64::INFINITY, f64::min);
            if let Some(at) = epoch(t, first_start).filter(|_| first_start > 0.0) {
                let _ = writeln!(
                    out,
                    "wait_until {at} {}",
                    sh(&format!(
                        "wave {} of window {t} (+{first_start:.0} s)",
                        w + 1
                    ))
                );
            }
            out.push_str("cmds=()\n");
            for (k, m) in &in_window {
                if wave_of[k] != w {
                    continue;
                }
                let mut cmd = String::from("openstack server migrate");
                match m.kind {
                    MigrationKind::Offline => {}
                    MigrationKind::Block => cmd.push_str(" --live-migration --block-migration"),
                    _ => cmd.push_str(" --live-migration"),
                }
                // `--host=NODE` and `--` before the server: no id or node name, whatever it
                // begins with, reaches the client as an option.
                if !m.destination_node.is_empty() {
                    let _ = write!(cmd, " {}", sh(&format!("--host={}", m.destination_node)));
                }
                let _ = write!(cmd, " --wait -- {}", sh(&m.server));
                if m.kind == MigrationKind::Offline {
                    let _ = write!(
                        cmd,
                        " && run openstack server migration confirm -- {}",
                        sh(&m.server)
                    );
                }
                let _ = writeln!(
                    out,
                    "# {} ({}) {} -> {}, {}\ncmds+=({})",
                    m.vm,
                    m.kind,
                    m.source_node,
                    m.destination_node,
                    if m.index.is_none() {
                        "a rebalance within the site, before the window's arrivals".to_string()
                    } else {
                        format!("planned at +{:.0} s for {:.0} s", m.start_s, m.duration_s)
                    },
                    sh(&cmd)
                );
            }
            out.push_str("wave \"${cmds[@]}\"\n");
        }
        for p in power.iter().filter(|p| p.window == t && !p.on) {
            let _ = writeln!(
                out,
                "# {} is empty from window {t}: accept no instances, then power off\n\
                 run {}\nrun openstack baremetal node power off -- {}",
                p.node,
                service(&p.node, false),
                sh(&p.node)
            );
        }
    }
    out.push_str("\necho \"wattshift: done\"\n");
    out
}
