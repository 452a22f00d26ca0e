//! wattshift: plans where VMs and VNFs run across data-center sites, window by window,
//! and when to live-migrate them, so that energy cost and carbon fall while migrations stay affordable.
//!
//! The crate is split as its folders are: the domain ([`domain`]: the instance and a plan), the
//! scoring ([`scoring`]: paths, the copy-round model, costs, the one evaluator, the schedule),
//! the search ([`solvers`], with [`config`] for their configurations as data) and IO at the
//! edges ([`io`]). [`report`] assembles what a solve reports as plain data, [`bench`](mod@bench) compares
//! configurations, and [`generate`] draws realistic instances from real data.
//! ARCHITECTURE.md states which module may use which.
//!
//! Costing a plan from any source with the one evaluator, and planning exactly:
//!
//! ```
//! use std::path::Path;
//! use std::time::Instant;
//! use wattshift::scoring::costs::Costs;
//! use wattshift::scoring::evaluate::evaluate;
//! use wattshift::io::read::read_instance;
//! use wattshift::domain::plan::Plan;
//! use wattshift::solvers::{exact, CommonSettings, NoKnobs, Status};
//!
//! let instance = read_instance(Path::new("instances/paper-testbed")).unwrap();
//! let costs = Costs::new(&instance);
//! let baseline = evaluate(&costs, &Plan::stay(&instance));
//! assert!(baseline.is_feasible());
//!
//! let outcome = exact::solve(&costs, &CommonSettings::default(), &NoKnobs {}, Instant::now());
//! assert_eq!(outcome.status, Status::Optimal);
//! let best = evaluate(&costs, outcome.plan.as_ref().unwrap());
//! assert!(best.is_feasible());
//! assert!(best.objective_eur < baseline.objective_eur);
//! ```

#![warn(missing_docs)]

pub mod bench;
pub mod chart;
pub mod config;
pub mod domain;
pub mod error;
pub mod feeds;
pub mod generate;
pub mod interrupt;
pub mod io;
pub mod nodes;
pub mod openstack;
pub mod page;
pub mod progress;
pub mod report;
pub mod rng;
pub mod scoring;
pub mod solvers;
