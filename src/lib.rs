//! wattshift: plans where VMs and VNFs run across data-center sites, window by window,
//! and when to live-migrate them, so that energy cost and carbon fall while migrations stay affordable.
//!
//! The crate is split into the domain ([`instance`], [`plan`]), the models that cost it
//! ([`network`], [`migration`], [`costs`], [`evaluate`], [`schedule`]), the solvers that
//! search it ([`solvers`]) and IO at the edges ([`io`]).

pub mod commands;
pub mod costs;
pub mod error;
pub mod evaluate;
pub mod instance;
pub mod io;
pub mod migration;
pub mod network;
pub mod plan;
pub mod report;
pub mod schedule;
pub mod solvers;
