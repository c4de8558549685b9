//! msk-mtls-rule: an AWS Config custom rule that reports Amazon MSK clusters not enforcing mutual TLS.
//!
//! The evaluation core (`cluster`, `params`, `verdict`, `evaluation`) is pure; `event` parses the
//! Config event at the edge; `handler` ties them together behind the `ports` traits, whose AWS SDK
//! adapters live in `aws`.

pub mod aws;
pub mod cluster;
pub mod error;
pub mod evaluation;
pub mod event;
pub mod handler;
pub mod json;
pub mod logging;
pub mod metrics;
pub mod params;
pub mod ports;
pub mod verdict;

pub use aws_sdk_config::primitives::DateTime;
pub use error::RuleError;
