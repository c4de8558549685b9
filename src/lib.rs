//! msk-mtls-rule: an AWS Config custom rule that reports Amazon MSK clusters not enforcing mutual TLS.
//!
//! - `rule`: the rule itself, pure, with no AWS SDK type: facts, parameters, the table of checks,
//!   the verdict, applicability, evaluations.
//! - `edge`: what arrives, read once into the rule's types: the Lambda event, configuration items,
//!   Kafka API answers.
//! - `aws`: the three ports (Config, Kafka, ACM PCA, plus STS for other accounts) and their SDK
//!   adapter, where every AWS call lives.
//! - `app`: one invocation from event to evaluations, used by the Lambda handler and the local
//!   command alike, and the `audit` command on the same evaluator.
//! - `check`: the verdict before deploy, on CloudFormation templates and Terraform plans.
//! - `probe`: knocks on the brokers (TLS handshakes and Kafka's ApiVersions) to prove mTLS live.

pub mod app;
pub mod aws;
pub mod check;
pub mod edge;
pub mod error;
pub mod logging;
pub mod metrics;
pub mod probe;
#[cfg(test)]
mod readme;
pub mod rule;

pub use error::RuleError;
pub use rule::time::Timestamp;
