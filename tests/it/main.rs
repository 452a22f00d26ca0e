//! The one integration-test binary; each module is one area of behaviour.

mod architecture;
mod bench;
mod browser;
mod cli;
mod common;
mod estimate;
mod explain;
mod feeds;
mod fixtures;
mod generate;
mod heuristics;
mod hostile;
mod model_export;
mod network;
mod onboarding;
mod openstack;
mod operations;
mod oracle;
mod pipelines;
mod random_oracle;
mod readme;
mod report;
mod safety;
mod shards;
mod validate;
mod windows;
