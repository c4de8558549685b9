//! Plain in-memory fakes of the ports, for handler tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;

use aws_sdk_config::primitives::DateTime;
use msk_mtls_rule::evaluation::Evaluation;
use msk_mtls_rule::event::{ConfigurationItem, ResultToken};
use msk_mtls_rule::ports::{
    CertificateAuthorities, ClusterInventory, ConfigHistory, EvaluationSink, FailedEvaluation,
    ListedCluster, Page, StoredResults,
};
use msk_mtls_rule::verdict::CaHealth;
use msk_mtls_rule::RuleError;
use serde_json::Value;

pub const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";
/// 2023-11-14T22:13:20Z: the fixed "now" of handler tests.
pub const NOW_SECS: i64 = 1_700_000_000;

pub fn fixed_now() -> DateTime {
    DateTime::from_secs(NOW_SECS)
}

pub fn read_json(path: impl AsRef<Path>) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Records every PutEvaluations call; answers each with the next scripted failure list (none once
/// the script runs out).
#[derive(Default)]
pub struct FakeSink {
    pub calls: Mutex<Vec<(bool, Vec<Evaluation>)>>,
    pub failures: Mutex<VecDeque<Result<Vec<FailedEvaluation>, String>>>,
}

impl FakeSink {
    pub fn failing_with(script: Vec<Result<Vec<FailedEvaluation>, String>>) -> Self {
        FakeSink {
            failures: Mutex::new(script.into()),
            ..FakeSink::default()
        }
    }

    pub fn calls(&self) -> Vec<(bool, Vec<Evaluation>)> {
        self.calls.lock().unwrap().clone()
    }

    pub fn sent(&self) -> Vec<Evaluation> {
        self.calls()
            .into_iter()
            .flat_map(|(_, batch)| batch)
            .collect()
    }
}

impl EvaluationSink for FakeSink {
    async fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> Result<Vec<FailedEvaluation>, RuleError> {
        self.calls
            .lock()
            .unwrap()
            .push((token.is_test_mode(), batch.to_vec()));
        match self.failures.lock().unwrap().pop_front() {
            None => Ok(vec![]),
            Some(Ok(failed)) => Ok(failed),
            Some(Err(message)) => Err(RuleError::aws("PutEvaluations", message)),
        }
    }
}

#[derive(Default)]
pub struct FakeHistory {
    pub items: BTreeMap<String, ConfigurationItem>,
    pub calls: Mutex<Vec<(String, String, DateTime)>>,
}

impl ConfigHistory for FakeHistory {
    async fn latest_item(
        &self,
        resource_type: &str,
        resource_id: &str,
        later_time: DateTime,
    ) -> Result<ConfigurationItem, RuleError> {
        self.calls.lock().unwrap().push((
            resource_type.to_owned(),
            resource_id.to_owned(),
            later_time,
        ));
        self.items.get(resource_id).cloned().ok_or_else(|| {
            RuleError::aws(
                "GetResourceConfigHistory",
                format!("no item for {resource_id}"),
            )
        })
    }
}

/// CA health by ARN; an ARN it does not know fails the call, like a network error would.
#[derive(Default)]
pub struct FakeCas {
    pub health: BTreeMap<String, CaHealth>,
    pub calls: Mutex<Vec<String>>,
}

impl FakeCas {
    pub fn with(arn: &str, health: CaHealth) -> Self {
        FakeCas {
            health: BTreeMap::from([(arn.to_owned(), health)]),
            ..FakeCas::default()
        }
    }

    pub fn active_for_days(arn: &str, days: i64) -> Self {
        Self::with(
            arn,
            CaHealth::Active {
                not_after: Some(DateTime::from_secs(NOW_SECS + days * 86_400)),
            },
        )
    }
}

impl CertificateAuthorities for FakeCas {
    async fn health(&self, arn: &str) -> Result<CaHealth, RuleError> {
        self.calls.lock().unwrap().push(arn.to_owned());
        self.health
            .get(arn)
            .cloned()
            .ok_or_else(|| RuleError::aws("DescribeCertificateAuthority", "connection refused"))
    }
}

/// Clusters and stored results served in pages of a fixed size, with every call recorded.
#[derive(Default)]
pub struct FakeFleet {
    pub clusters: Vec<ListedCluster>,
    pub stored: Vec<(String, String)>,
    pub page_size: usize,
    pub calls: Mutex<Vec<String>>,
}

impl FakeFleet {
    fn page<T: Clone>(&self, items: &[T], token: Option<String>) -> Page<T> {
        let size = if self.page_size == 0 {
            usize::MAX
        } else {
            self.page_size
        };
        let start: usize = token.map_or(0, |t| t.parse().unwrap());
        let end = start.saturating_add(size).min(items.len());
        Page {
            items: items[start..end].to_vec(),
            next_token: (end < items.len()).then(|| end.to_string()),
        }
    }
}

impl ClusterInventory for FakeFleet {
    async fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> Result<Page<ListedCluster>, RuleError> {
        self.calls.lock().unwrap().push("ListClustersV2".into());
        Ok(self.page(&self.clusters, next_token))
    }
}

impl StoredResults for FakeFleet {
    async fn evaluated_resources(
        &self,
        rule_name: &str,
        next_token: Option<String>,
    ) -> Result<Page<(String, String)>, RuleError> {
        assert!(!rule_name.is_empty());
        self.calls
            .lock()
            .unwrap()
            .push("GetComplianceDetailsByConfigRule".into());
        Ok(self.page(&self.stored, next_token))
    }
}
