//! AWS at the edge: the ports the application calls (`ports`) and their AWS SDK adapter (`sdk`).

pub mod ports;
pub mod sdk;
