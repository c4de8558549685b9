//! The whole path from raw event bytes to the evaluations the rule would send, over in-memory AWS
//! fakes: never a panic, and every evaluation is one Config would accept. The same bytes also go
//! through the function's path (held results read, alerts published to a fake topic).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use msk_mtls_rule::alerts::settings::AlertSettings;
use msk_mtls_rule::app::delivery::{DoorUsersLookup, Mode};
use msk_mtls_rule::aws::ports::{
    Accounts, ConfigService, ConnectService, Held, KafkaService, Message, Notifier, Page,
    PrivateCaService,
};
use msk_mtls_rule::rule::doors::{hosts_of, ClientVpcConnection, Connector, Listing, Replicator};
use msk_mtls_rule::rule::params::SaslMechanism;
use msk_mtls_rule::edge::kafka::ListedCluster;
use msk_mtls_rule::rule::held::HeldResult;
use msk_mtls_rule::rule::evaluation::ComplianceType;
use msk_mtls_rule::edge::event::ResultToken;
use msk_mtls_rule::edge::item::{ConfigurationItem, ItemStatus};
use msk_mtls_rule::edge::json::Json;
use msk_mtls_rule::rule::evaluation::{Evaluation, ResourceKey, ResourceType, ANNOTATION_MAX_CHARS};
use msk_mtls_rule::rule::facts::{Cluster, ClusterFacts};
use msk_mtls_rule::rule::ca::{CaDescription, CaHealth, CaKind, CaProfile, CaStatus, Issuers, UsageMode};
use msk_mtls_rule::rule::authorization::{ConfigurationRead, ConfigurationRevision};
use msk_mtls_rule::rule::zookeeper::OperationsRead;
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
    ) -> Result<Page<Held>, RuleError> {
        Ok(Page {
            items: vec![Held {
                key: ResourceKey {
                    resource_type: ResourceType::MskCluster,
                    resource_id: "arn:aws:kafka:us-east-1:123456789012:cluster/g/y-5".into(),
                },
                result: held(),
            }],
            next_token: None,
        })
    }

    async fn held_result(&self, _: &str, _: &ResourceKey) -> Result<Option<HeldResult>, RuleError> {
        Ok(Some(held()))
    }
}

/// A held result whose clock is followed by text that looks like another one.
fn held() -> HeldResult {
    HeldResult {
        compliance: ComplianceType::NonCompliant,
        annotation: Some("x (since 2023-04-27T15:03:11Z) (since 9999-99-99T99:99:99Z)".into()),
    }
}

impl Notifier for FakeAws {
    async fn publish(&self, _: &str, message: &Message) -> Result<(), RuleError> {
        assert!(message.subject.is_ascii() && message.subject.len() <= 100);
        assert!(message.attributes.len() <= 10);
        Ok(())
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
    async fn issuers(&self, arn: &str) -> Result<Issuers, RuleError> {
        Ok(match arn.len() % 3 {
            0 => Issuers::Known(Default::default()),
            1 => Issuers::Known(["*".to_owned()].into()),
            _ => Issuers::Unknown("AccessDeniedException".into()),
        })
    }

    async fn describe(&self, arn: &str) -> Result<CaDescription, RuleError> {
        let profile = Some(CaProfile {
            kind: if arn.len() % 2 == 0 { CaKind::Root } else { CaKind::Subordinate },
            usage: UsageMode::GeneralPurpose,
        });
        let health = match arn.len() % 4 {
            0 => CaHealth::Active { not_after: None },
            1 => CaHealth::NotFound,
            2 => CaHealth::NotActive {
                status: CaStatus::Disabled,
            },
            _ => CaHealth::Unreadable {
                reason: "AccessDeniedException".into(),
            },
        };
        Ok(CaDescription { health, profile })
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

    async fn configuration_revision(
        &self,
        revision: &ConfigurationRevision,
    ) -> Result<ConfigurationRead, RuleError> {
        Ok(match revision.revision % 2 {
            0 => ConfigurationRead::Properties(b"allow.everyone.if.no.acl.found=false".to_vec()),
            _ => ConfigurationRead::Unreadable("NotFoundException".into()),
        })
    }

    async fn zookeeper_changes(&self, cluster_arn: &str) -> Result<OperationsRead, RuleError> {
        Ok(match cluster_arn.len() % 2 {
            0 => OperationsRead::Changes(Vec::new()),
            _ => OperationsRead::Unreadable("AccessDeniedException".into()),
        })
    }

    async fn replicators(&self) -> Listing<Replicator> {
        Ok(vec![Replicator {
            name: "r".into(),
            cluster_arns: vec!["arn:aws:kafka:us-east-1:123456789012:cluster/f/x-5".into()],
        }])
    }

    async fn client_vpc_connections(&self, cluster_arn: &str) -> Listing<ClientVpcConnection> {
        match cluster_arn.len() % 2 {
            0 => Ok(vec![ClientVpcConnection {
                arn: format!("{cluster_arn}/vpc-connection/1"),
                owner: None,
                sasl: Some(SaslMechanism::Iam),
            }]),
            _ => Err("ListClientVpcConnections: AccessDeniedException".into()),
        }
    }

    async fn broker_hosts(&self, _: &str) -> Listing<String> {
        Ok(hosts_of("b-1.f.x.c5.kafka.us-east-1.amazonaws.com:9098"))
    }
}

impl ConnectService for FakeAws {
    async fn connectors(&self) -> Listing<Connector> {
        Ok(vec![Connector {
            name: "c".into(),
            hosts: hosts_of("b-2.f.x.c5.kafka.us-east-1.amazonaws.com:9098"),
            iam: true,
        }])
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
    let alerts = AlertSettings {
        topic_arn: Some("arn:aws:sns:us-east-1:123456789012:alerts".into()),
        owner_tag_keys: vec!["owner".into()],
        ca_alert_days: Some(30),
        region: "us-east-1".into(),
    };
    let now = Timestamp::from_secs(1_700_000_000);
    let _ = runtime().block_on(msk_mtls_rule::app::invoke(
        &FakeAws,
        text,
        Some("123456789012"),
        Mode::Send,
        &alerts,
        now,
    ));
    let Ok(outcome) = runtime().block_on(msk_mtls_rule::app::invoke(
        &FakeAws,
        text,
        Some("123456789012"),
        Mode::Collect(DoorUsersLookup::Named),
        &AlertSettings::default(),
        now,
    )) else {
        return;
    };
    for judgement in &outcome.evaluations {
        let evaluation = &judgement.evaluation;
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
