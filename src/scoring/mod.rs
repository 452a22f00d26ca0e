//! The scoring: what a plan costs and whether it holds. Migration paths ([`network`]), the
//! copy-round model of one migration ([`migration`]), the cost tables every solver and the
//! evaluator share ([`costs`]), the one evaluator ([`evaluate`]) and the migration schedule
//! inside each window ([`schedule`]), why a plan moves a VM or leaves it ([`explain`]), and
//! what the starting placement breaks before any plan ([`start`]).

pub mod costs;
pub mod evaluate;
pub mod explain;
pub mod migration;
pub mod network;
pub mod schedule;
pub mod start;
