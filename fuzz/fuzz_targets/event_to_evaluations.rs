//! The whole path from raw event bytes to the evaluations the rule would send, over in-memory AWS
//! fakes: never a panic, and every evaluation is one Config would accept.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use msk_mtls_rule::cluster::{Cluster, ClusterFacts};
use msk_mtls_rule::evaluation::{Evaluation, ANNOTATION_MAX_CHARS};
use msk_mtls_rule::event::{ConfigRuleEvent, ConfigurationItem};
use msk_mtls_rule::handler::Evaluator;
use msk_mtls_rule::params::RuleParams;
use msk_mtls_rule::ports::{
    CertificateAuthorities, ClusterInventory, ConfigHistory, ListedCluster, Page, StoredResults,
};
use msk_mtls_rule::verdict::CaHealth;
use msk_mtls_rule::RuleError;

/// Answers every AWS question with something plausible, so the fuzzer reaches every path.
struct FakeAws;

impl ConfigHistory for FakeAws {
    async fn latest_item(
        &self,
        resource_type: &str,
        resource_id: &str,
        later_time: msk_mtls_rule::DateTime,
    ) -> Result<ConfigurationItem, RuleError> {
        Ok(ConfigurationItem {
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_owned(),
            status: msk_mtls_rule::event::ItemStatus::Ok,
            capture_time: later_time,
            configuration: Some(
                serde_json::json!({"ClientAuthentication": {"Tls": {"Enabled": true}}}),
            ),
            tags: Default::default(),
        })
    }
}

impl CertificateAuthorities for FakeAws {
    async fn health(&self, arn: &str) -> Result<CaHealth, RuleError> {
        Ok(match arn.len() % 4 {
            0 => CaHealth::Active { not_after: None },
            1 => CaHealth::NotFound,
            2 => CaHealth::NotActive {
                status: "DISABLED".into(),
            },
            _ => CaHealth::Unreadable {
                reason: "AccessDeniedException".into(),
            },
        })
    }
}

impl ClusterInventory for FakeAws {
    async fn list_clusters(&self, _: Option<String>) -> Result<Page<ListedCluster>, RuleError> {
        Ok(Page {
            items: vec![ListedCluster {
                resource_type: "AWS::MSK::Cluster",
                arn: "arn:aws:kafka:us-east-1:123456789012:cluster/f/x-5".into(),
                tags: Default::default(),
                cluster: Cluster::Provisioned(ClusterFacts::default()),
            }],
            next_token: None,
        })
    }
}

impl StoredResults for FakeAws {
    async fn evaluated_resources(
        &self,
        _: &str,
        _: Option<String>,
    ) -> Result<Page<(String, String)>, RuleError> {
        Ok(Page::default())
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(event) = ConfigRuleEvent::from_json(value) else {
        return;
    };
    let Ok(params) = RuleParams::parse(event.rule_parameters.as_deref()) else {
        return;
    };
    let evaluator = Evaluator::new(FakeAws, FakeAws, FakeAws);
    let mut evaluations: Vec<Evaluation> = Vec::new();
    if runtime()
        .block_on(evaluator.run(&event, &params, &mut evaluations))
        .is_err()
    {
        return;
    }
    for evaluation in &evaluations {
        if let Some(annotation) = &evaluation.annotation {
            let length = annotation.chars().count();
            assert!(
                (1..=ANNOTATION_MAX_CHARS).contains(&length),
                "annotation of {length} characters"
            );
        }
        assert!(!evaluation.resource_type.is_empty() && !evaluation.resource_id.is_empty());
        serde_json::to_string(evaluation).expect("every evaluation prints");
    }
});
