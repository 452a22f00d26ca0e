//! IO at the edges: reading instances and placements, writing outputs.

pub mod read;
pub mod write;
