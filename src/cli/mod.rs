//! The binary's own modules: arguments, commands, text rendering and signals. The library
//! prints nothing and knows no exit codes; all of that lives here.

pub mod args;
pub mod commands;
pub mod progress;
pub mod render;
pub mod shards;
pub mod signals;
