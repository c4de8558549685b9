//! The three things the rule asks of AWS, in the project's own types. The SDK adapters live in
//! `aws.rs`; tests use plain in-memory fakes.

use std::future::Future;

use aws_sdk_config::primitives::DateTime;

use crate::error::RuleError;
use crate::evaluation::Evaluation;
use crate::event::{ConfigurationItem, ResultToken};
use crate::verdict::CaHealth;

/// A resource Config refused an evaluation for: `(resource type, resource id)`.
pub type FailedEvaluation = (String, String);

pub trait EvaluationSink {
    /// One PutEvaluations call with at most 100 evaluations; returns what Config reported failed.
    fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> impl Future<Output = Result<Vec<FailedEvaluation>, RuleError>> + Send;
}

pub trait ConfigHistory {
    /// The newest configuration item of a resource recorded at or before `later_time`.
    fn latest_item(
        &self,
        resource_type: &str,
        resource_id: &str,
        later_time: DateTime,
    ) -> impl Future<Output = Result<ConfigurationItem, RuleError>> + Send;
}

pub trait CertificateAuthorities {
    /// The CA's status and expiry. A CA that is missing or unreadable is a health value, not an
    /// error; errors are for calls that failed (network, throttling past the retries).
    fn health(&self, arn: &str) -> impl Future<Output = Result<CaHealth, RuleError>> + Send;
}

/// Lets a caller keep the adapter (to share it, or to inspect a fake) while an `Evaluator` uses it.
impl<T: ConfigHistory + Sync> ConfigHistory for &T {
    fn latest_item(
        &self,
        resource_type: &str,
        resource_id: &str,
        later_time: DateTime,
    ) -> impl Future<Output = Result<ConfigurationItem, RuleError>> + Send {
        (**self).latest_item(resource_type, resource_id, later_time)
    }
}

impl<T: CertificateAuthorities + Sync> CertificateAuthorities for &T {
    fn health(&self, arn: &str) -> impl Future<Output = Result<CaHealth, RuleError>> + Send {
        (**self).health(arn)
    }
}
