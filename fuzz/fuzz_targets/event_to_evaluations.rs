//! The whole path from raw event bytes to the evaluations the rule would send, over in-memory AWS
//! fakes: never a panic, and every evaluation is one Config would accept.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use msk_mtls_rule::app::delivery::Mode;
use msk_mtls_rule::aws::ports::{
    Accounts, ConfigService, KafkaService, ListedCluster, Page, PrivateCaService,
};
use msk_mtls_rule::edge::event::ResultToken;
use msk_mtls_rule::edge::item::{ConfigurationItem, ItemStatus};
use msk_mtls_rule::edge::json::Json;
use msk_mtls_rule::rule::evaluation::{Evaluation, ResourceKey, ResourceType, ANNOTATION_MAX_CHARS};
use msk_mtls_rule::rule::facts::{Cluster, ClusterFacts};
use msk_mtls_rule::rule::verdict::{CaHealth, CaStatus};
use msk_mtls_rule::{RuleError, Timestamp};

/// Answers every AWS question with something plausible, so the fuzzer reaches every path.
struct FakeAws;

impl ConfigService for FakeAws {
    async fn put_evaluations(
        &self,
        _: &ResultToken,
        _: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, RuleError> {
        Ok(Vec::new())
    }

    async fn latest_item(
        &self,
        resource: &ResourceKey,
        later_time: Timestamp,
    ) -> Result<ConfigurationItem, RuleError> {
        Ok(ConfigurationItem {
            resource_type: resource.resource_type.clone(),
            resource_id: resource.resource_id.clone(),
            status: ItemStatus::Ok,
            capture_time: later_time,
            configuration: Some(Json::from(
                serde_json::json!({"ClientAuthentication": {"Tls": {"Enabled": true}}}),
            )),
            tags: Default::default(),
        })
    }

    async fn evaluated_resources(
        &self,
        _: &str,
        _: Option<String>,
    ) -> Result<Page<ResourceKey>, RuleError> {
        Ok(Page::default())
    }
}

impl Accounts for FakeAws {
    async fn own_account(&self) -> Result<String, RuleError> {
        Ok("123456789012".into())
    }

    async fn assume_role(&self, _: &str) -> Result<Self, RuleError> {
        Ok(FakeAws)
    }
}

impl PrivateCaService for FakeAws {
    async fn health(&self, arn: &str) -> Result<CaHealth, RuleError> {
        Ok(match arn.len() % 4 {
            0 => CaHealth::Active { not_after: None },
            1 => CaHealth::NotFound,
            2 => CaHealth::NotActive {
                status: CaStatus::Disabled,
            },
            _ => CaHealth::Unreadable {
                reason: "AccessDeniedException".into(),
            },
        })
    }
}

impl KafkaService for FakeAws {
    async fn list_clusters(&self, _: Option<String>) -> Result<Page<ListedCluster>, RuleError> {
        Ok(Page {
            items: vec![ListedCluster {
                resource_type: ResourceType::MskCluster,
                arn: "arn:aws:kafka:us-east-1:123456789012:cluster/f/x-5".into(),
                tags: Default::default(),
                cluster: Cluster::Provisioned(ClusterFacts::default()),
            }],
            next_token: None,
        })
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
    // The text as Lambda hands it over: duplicate keys and all.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(outcome) = runtime().block_on(msk_mtls_rule::app::invoke(
        &FakeAws,
        text,
        Some("123456789012"),
        Mode::Collect,
        Timestamp::from_secs(1_700_000_000),
    )) else {
        return;
    };
    for evaluation in &outcome.evaluations {
        if let Some(annotation) = &evaluation.annotation {
            let length = annotation.chars().count();
            assert!(
                (1..=ANNOTATION_MAX_CHARS).contains(&length),
                "annotation of {length} characters"
            );
        }
        assert!(
            !evaluation.resource_type.as_str().is_empty() && !evaluation.resource_id.is_empty()
        );
        serde_json::to_string(evaluation).expect("every evaluation prints");
    }
});
