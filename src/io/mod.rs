//! IO at the edges: reading instances and placements, writing outputs.

pub mod magnitudes;
pub mod out_dir;
pub mod read;
pub mod rewrite;
pub mod write;
