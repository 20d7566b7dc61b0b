//! One module per subcommand.

pub mod completions;
pub mod fleet;
pub mod man;
pub mod model;
pub mod rules;
pub mod scan;
pub mod trail;
