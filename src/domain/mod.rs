//! The domain: an instance of the planning problem and a plan for it. Plain validated data; it
//! knows nothing of costs, solvers or files.

pub mod instance;
pub mod plan;
