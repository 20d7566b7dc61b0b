//! One module per subcommand.

pub mod model;
pub mod rules;
pub mod scan;
pub mod trail;
