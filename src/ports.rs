//! What the rule asks of AWS, in the project's own types: sending evaluations, reading item history,
//! CA health, the cluster list and stored results. The SDK adapters live in `aws.rs`; tests use plain
//! in-memory fakes.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_config::primitives::DateTime;

use crate::cluster::Cluster;
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

/// A cluster as the Kafka API lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedCluster {
    /// `AWS::MSK::Cluster` or `AWS::MSK::ServerlessCluster`, as Config names the type.
    pub resource_type: &'static str,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub cluster: Cluster,
}

/// One page of an AWS listing and the token of the next, if any.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

pub trait ClusterInventory {
    /// One page of every MSK cluster (provisioned and serverless) of the account and region.
    fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<ListedCluster>, RuleError>> + Send;
}

pub trait StoredResults {
    /// One page of the resources that hold a COMPLIANT or NON_COMPLIANT result of this rule:
    /// `(resource type, resource id)`.
    fn evaluated_resources(
        &self,
        rule_name: &str,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<(String, String)>, RuleError>> + Send;
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

impl<T: ClusterInventory + Sync> ClusterInventory for &T {
    fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<ListedCluster>, RuleError>> + Send {
        (**self).list_clusters(next_token)
    }
}

impl<T: StoredResults + Sync> StoredResults for &T {
    fn evaluated_resources(
        &self,
        rule_name: &str,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<(String, String)>, RuleError>> + Send {
        (**self).evaluated_resources(rule_name, next_token)
    }
}
