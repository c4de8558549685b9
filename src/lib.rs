//! msk-mtls-rule: an AWS Config custom rule that reports Amazon MSK clusters not enforcing mutual TLS.
//!
//! - `rule`: the rule itself, pure, with no AWS SDK type: facts, parameters, the table of checks,
//!   the verdict, applicability, evaluations.
//! - `edge`: what arrives, read once into the rule's types: the Lambda event, configuration items,
//!   Kafka API answers.
//! - `aws`: the three ports (Config, Kafka, ACM PCA, plus STS for other accounts) and their SDK
//!   adapter, where every AWS call lives.
//! - `alerts`: what follows a result the function sends: the transition's alert to the owner, its
//!   message, the sweep's CA report.
//! - `findings`: one finding per cluster and check, as Security Hub (ASFF) and SIEMs (OCSF) take
//!   them, and their sending to Security Hub.
//! - `app`: one invocation from event to evaluations, used by the Lambda function and `evaluate`
//!   alike; the hook's answer; the scheduled probe's run.
//! - `audit`: every cluster the credentials can list, judged now by the same evaluator.
//! - `check`: the verdict before deploy, on CloudFormation templates and Terraform plans.
//! - `probe`: knocks on the brokers (TLS handshakes and Kafka requests) to prove mTLS live.
//! - `lambda`: the function's process (the `msk-mtls-rule-lambda` binary): Runtime API loop,
//!   settings read once, deadlines, metrics lines.
//! - `cli`: the command line (the `msk-mtls-rule` binary): flags, output, exit status.
//!
//! Imports point down the list in reverse: `cli` and `lambda` at the top, `rule` at the bottom.

pub mod alerts;
pub mod app;
pub mod audit;
pub mod aws;
pub mod check;
pub mod cli;
#[cfg(test)]
mod docs;
pub mod edge;
pub mod error;
pub mod findings;
pub mod lambda;
pub mod logging;
pub mod probe;
pub mod rule;

pub use error::RuleError;
pub use rule::time::Timestamp;
