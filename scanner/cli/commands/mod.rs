//! One module per subcommand.

pub mod fleet;
pub mod model;
pub mod rules;
pub mod scan;
pub mod trail;
