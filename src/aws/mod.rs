//! AWS at the edge: the ports the application calls (`ports`), their AWS SDK adapter (`sdk`), and
//! the paging every listing shares (`pager`).

pub mod pager;
pub mod ports;
pub mod sdk;
