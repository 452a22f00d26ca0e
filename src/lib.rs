//! wattshift: plans where VMs and VNFs run across data-center sites, window by window,
//! and when to live-migrate them, so that energy cost and carbon fall while migrations stay affordable.
//!
//! The crate is split into the domain ([`instance`], [`plan`]), the models that cost it
//! ([`network`], [`migration`], [`costs`], [`evaluate`], [`schedule`]), the solvers that
//! search it ([`solvers`]) and IO at the edges ([`io`]).
//!
//! Costing a plan from any source with the one evaluator, and planning exactly:
//!
//! ```
//! use std::path::Path;
//! use std::time::Instant;
//! use wattshift::costs::Costs;
//! use wattshift::evaluate::evaluate;
//! use wattshift::io::read::read_instance;
//! use wattshift::plan::Plan;
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
pub mod config;
pub mod costs;
pub mod error;
pub mod evaluate;
pub mod generate;
pub mod instance;
pub mod interrupt;
pub mod io;
pub mod migration;
pub mod network;
pub mod plan;
pub mod report;
pub mod rng;
pub mod schedule;
pub mod solvers;
