//! Plain in-memory fakes of the ports, for the application's tests: one `FakeAccount` serves every
//! service from its parts, each of which records its calls.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;

use msk_mtls_rule::alerts::settings::AlertSettings;
use msk_mtls_rule::app::delivery::{InvocationSummary, Mode};
use msk_mtls_rule::aws::ports::{
    Accounts, Brokers, Caller, ConfigService, ConnectService, Directory, Held, KafkaService,
    MemberAccount, Message, Notifier, Page, PrivateCaService, Stacks,
};
use msk_mtls_rule::edge::event::ResultToken;
use msk_mtls_rule::edge::item::ConfigurationItem;
use msk_mtls_rule::edge::kafka::ListedCluster;
use msk_mtls_rule::rule::authorization::{ConfigurationRead, ConfigurationRevision};
use msk_mtls_rule::rule::ca::{CaDescription, CaHealth, CaKind, CaProfile, Issuers, UsageMode};
use msk_mtls_rule::rule::doors::{hosts_of, ClientVpcConnection, Connector, Listing, Replicator};
use msk_mtls_rule::rule::evaluation::ComplianceType;
use msk_mtls_rule::rule::evaluation::{Evaluation, ResourceKey, ResourceType};
use msk_mtls_rule::rule::held::HeldResult;
use msk_mtls_rule::rule::zookeeper::OperationsRead;
use msk_mtls_rule::{RuleError, Timestamp};
use serde_json::Value;

/// A resource Config refused an evaluation for: `(resource type, resource id)`.
pub type FailedEvaluation = (String, String);

pub const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";
/// 2023-11-14T22:13:20Z: the fixed "now" of handler tests.
pub const NOW_SECS: i64 = 1_700_000_000;

pub fn fixed_now() -> Timestamp {
    Timestamp::from_secs(NOW_SECS)
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

impl ConfigService for FakeSink {
    async fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, RuleError> {
        self.calls
            .lock()
            .unwrap()
            .push((token.is_test_mode(), batch.to_vec()));
        match self.failures.lock().unwrap().pop_front() {
            None => Ok(vec![]),
            Some(Ok(failed)) => Ok(failed
                .into_iter()
                .map(|(kind, id)| ResourceKey {
                    resource_type: ResourceType::parse(&kind),
                    resource_id: id,
                })
                .collect()),
            Some(Err(message)) => Err(RuleError::aws("PutEvaluations", message)),
        }
    }

    async fn latest_item(
        &self,
        _: &ResourceKey,
        _: Timestamp,
    ) -> Result<ConfigurationItem, RuleError> {
        Err(RuleError::aws(
            "GetResourceConfigHistory",
            "not served by FakeSink",
        ))
    }

    async fn evaluated_resources(
        &self,
        _: &str,
        _: Option<String>,
    ) -> Result<Page<Held>, RuleError> {
        Err(RuleError::aws(
            "GetComplianceDetailsByConfigRule",
            "not served by FakeSink",
        ))
    }

    async fn held_result(&self, _: &str, _: &ResourceKey) -> Result<Option<HeldResult>, RuleError> {
        Ok(None)
    }
}

#[derive(Default)]
pub struct FakeHistory {
    pub items: BTreeMap<String, ConfigurationItem>,
    pub calls: Mutex<Vec<(String, String, Timestamp)>>,
}

impl FakeHistory {
    async fn latest_item(
        &self,
        resource: &ResourceKey,
        later_time: Timestamp,
    ) -> Result<ConfigurationItem, RuleError> {
        self.calls.lock().unwrap().push((
            resource.resource_type.to_string(),
            resource.resource_id.clone(),
            later_time,
        ));
        self.items
            .get(&resource.resource_id)
            .cloned()
            .ok_or_else(|| {
                RuleError::aws(
                    "GetResourceConfigHistory",
                    format!("no item for {}", resource.resource_id),
                )
            })
    }
}

/// CA health by ARN; an ARN it does not know fails the call, like a network error would. A CA
/// that exists is SUBORDINATE, GENERAL_PURPOSE and has no resource policy unless told otherwise.
#[derive(Default)]
pub struct FakeCas {
    pub health: BTreeMap<String, CaHealth>,
    pub profiles: BTreeMap<String, CaProfile>,
    pub issuers: BTreeMap<String, Issuers>,
    /// The CAs whose resource policy was read (GetPolicy), in order.
    pub policy_calls: Mutex<Vec<String>>,
    pub calls: Mutex<Vec<String>>,
    /// A barrier every read waits at before answering: reads made one after another never pass it.
    pub together: Option<std::sync::Arc<tokio::sync::Barrier>>,
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
                not_after: Some(Timestamp::from_secs(NOW_SECS + days * 86_400)),
            },
        )
    }
}

impl FakeCas {
    async fn describe(&self, arn: &str) -> Result<CaDescription, RuleError> {
        self.calls.lock().unwrap().push(arn.to_owned());
        if let Some(barrier) = &self.together {
            barrier.wait().await;
        }
        let health =
            self.health.get(arn).cloned().ok_or_else(|| {
                RuleError::aws("DescribeCertificateAuthority", "connection refused")
            })?;
        let profile = match health {
            CaHealth::NotFound | CaHealth::Unreadable { .. } => None,
            _ => Some(self.profiles.get(arn).cloned().unwrap_or(CaProfile {
                kind: CaKind::Subordinate,
                usage: UsageMode::GeneralPurpose,
            })),
        };
        Ok(CaDescription { health, profile })
    }

    async fn issuers(&self, arn: &str) -> Result<Issuers, RuleError> {
        self.policy_calls.lock().unwrap().push(arn.to_owned());
        Ok(self
            .issuers
            .get(arn)
            .cloned()
            .unwrap_or(Issuers::Known(Default::default())))
    }
}

/// Clusters and stored results served in pages of a fixed size, with every call recorded.
#[derive(Default)]
pub struct FakeFleet {
    pub clusters: Vec<ListedCluster>,
    /// The tags DescribeStacks answers for any stack; `None`: the stack cannot be read.
    pub stack_tags: Option<BTreeMap<String, String>>,
    pub stored: Vec<(String, String)>,
    pub page_size: usize,
    pub calls: Mutex<Vec<String>>,
    /// GetBootstrapBrokers' answer by cluster ARN (none for a cluster not in it).
    pub bootstrap_brokers: BTreeMap<String, Vec<(String, String)>>,
    /// DescribeConfigurationRevision's `server.properties` by revision (a revision not in it is
    /// not found).
    pub configurations: BTreeMap<ConfigurationRevision, String>,
    /// ListClusterOperations' ZooKeeper changes by cluster ARN (a cluster not in it has none: MSK
    /// created it with direct access on, and nothing turned it off).
    pub zookeeper: BTreeMap<String, OperationsRead>,
    /// DescribeClusterV2's ZooKeeper connection strings by cluster ARN (none for a cluster not in it).
    pub zookeeper_nodes: BTreeMap<String, Vec<(String, String)>>,
    /// A barrier the configuration, operations and held-result reads wait at (as
    /// `FakeCas::together`).
    pub together: Option<std::sync::Arc<tokio::sync::Barrier>>,
    /// ListConnectors' connectors (`None`: none).
    pub connectors: Option<Listing<Connector>>,
    /// ListReplicators' replicators (`None`: none).
    pub replicators: Option<Listing<Replicator>>,
    /// ListClientVpcConnections' answer by cluster ARN (none for a cluster not in it).
    pub vpc_connections: BTreeMap<String, Listing<ClientVpcConnection>>,
}

impl FakeFleet {
    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn connectors(&self) -> Listing<Connector> {
        self.record("ListConnectors".into());
        self.connectors.clone().unwrap_or(Ok(Vec::new()))
    }

    fn replicators(&self) -> Listing<Replicator> {
        self.record("ListReplicators".into());
        self.replicators.clone().unwrap_or(Ok(Vec::new()))
    }

    fn client_vpc_connections(&self, cluster_arn: &str) -> Listing<ClientVpcConnection> {
        self.record(format!("ListClientVpcConnections {cluster_arn}"));
        self.vpc_connections
            .get(cluster_arn)
            .cloned()
            .unwrap_or(Ok(Vec::new()))
    }

    /// The hosts of the cluster's GetBootstrapBrokers answer; a cluster not in it is not found.
    fn broker_hosts(&self, cluster_arn: &str) -> Listing<String> {
        self.record(format!("GetBootstrapBrokers {cluster_arn}"));
        let brokers = self
            .bootstrap_brokers
            .get(cluster_arn)
            .ok_or_else(|| "GetBootstrapBrokers: NotFoundException".to_owned())?;
        Ok(brokers
            .iter()
            .flat_map(|(_, list)| hosts_of(list))
            .collect())
    }
}

impl FakeFleet {
    fn zookeeper_changes(&self, cluster_arn: &str) -> OperationsRead {
        self.calls
            .lock()
            .unwrap()
            .push(format!("ListClusterOperations {cluster_arn}"));
        self.zookeeper
            .get(cluster_arn)
            .cloned()
            .unwrap_or(OperationsRead::Changes(Vec::new()))
    }

    fn configuration(&self, revision: &ConfigurationRevision) -> ConfigurationRead {
        self.calls.lock().unwrap().push(format!(
            "DescribeConfigurationRevision {} {}",
            revision.arn, revision.revision
        ));
        match self.configurations.get(revision) {
            Some(text) => ConfigurationRead::Properties(text.as_bytes().to_vec()),
            None => ConfigurationRead::Unreadable("NotFoundException".into()),
        }
    }

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

/// Every port of one account, served by the fakes it borrows, so a test keeps them to look at.
#[derive(Clone, Copy)]
pub struct FakeAccount<'a> {
    pub sink: &'a FakeSink,
    pub history: &'a FakeHistory,
    pub cas: &'a FakeCas,
    pub fleet: &'a FakeFleet,
    /// Roles "assumed": each gives the same fakes, and is recorded here.
    pub assumed: &'a Mutex<Vec<String>>,
}

impl ConfigService for FakeAccount<'_> {
    async fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, RuleError> {
        ConfigService::put_evaluations(self.sink, token, batch).await
    }

    async fn latest_item(
        &self,
        resource: &ResourceKey,
        later_time: Timestamp,
    ) -> Result<ConfigurationItem, RuleError> {
        self.history.latest_item(resource, later_time).await
    }

    async fn evaluated_resources(
        &self,
        rule_name: &str,
        next_token: Option<String>,
    ) -> Result<Page<Held>, RuleError> {
        assert!(!rule_name.is_empty());
        self.fleet
            .calls
            .lock()
            .unwrap()
            .push("GetComplianceDetailsByConfigRule".into());
        let page = self.fleet.page(&self.fleet.stored, next_token);
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|(kind, id)| Held {
                    key: ResourceKey {
                        resource_type: ResourceType::parse(&kind),
                        resource_id: id,
                    },
                    result: HeldResult {
                        compliance: ComplianceType::Compliant,
                        annotation: None,
                    },
                })
                .collect(),
            next_token: page.next_token,
        })
    }

    /// No result held: a change event is a cluster's first evaluation.
    async fn held_result(
        &self,
        rule_name: &str,
        _: &ResourceKey,
    ) -> Result<Option<HeldResult>, RuleError> {
        assert!(!rule_name.is_empty());
        if let Some(barrier) = &self.fleet.together {
            barrier.wait().await;
        }
        Ok(None)
    }
}

/// The handler tests run with no alert topic: publishing is proven end to end (tests/alerts.rs).
impl Notifier for FakeAccount<'_> {
    async fn publish(&self, _: &str, _: &Message) -> Result<(), RuleError> {
        Err(RuleError::aws("Publish", "not served by FakeAccount"))
    }
}

/// Every stack has the fleet's stack tags, or cannot be read; each read is recorded.
impl Stacks for FakeAccount<'_> {
    async fn stack_tags(&self, stack_id: &str) -> Result<BTreeMap<String, String>, RuleError> {
        self.fleet
            .calls
            .lock()
            .unwrap()
            .push(format!("DescribeStacks {stack_id}"));
        self.fleet
            .stack_tags
            .clone()
            .ok_or_else(|| RuleError::aws("DescribeStacks", format!("no stack {stack_id}")))
    }
}

impl KafkaService for FakeAccount<'_> {
    async fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> Result<Page<ListedCluster>, RuleError> {
        self.fleet
            .calls
            .lock()
            .unwrap()
            .push("ListClustersV2".into());
        Ok(self.fleet.page(&self.fleet.clusters, next_token))
    }

    async fn configuration_revision(
        &self,
        revision: &ConfigurationRevision,
    ) -> Result<ConfigurationRead, RuleError> {
        if let Some(barrier) = &self.fleet.together {
            barrier.wait().await;
        }
        Ok(self.fleet.configuration(revision))
    }

    async fn zookeeper_changes(&self, cluster_arn: &str) -> Result<OperationsRead, RuleError> {
        if let Some(barrier) = &self.fleet.together {
            barrier.wait().await;
        }
        Ok(self.fleet.zookeeper_changes(cluster_arn))
    }

    async fn replicators(&self) -> Listing<Replicator> {
        self.fleet.replicators()
    }

    async fn client_vpc_connections(&self, cluster_arn: &str) -> Listing<ClientVpcConnection> {
        self.fleet.client_vpc_connections(cluster_arn)
    }

    async fn broker_hosts(&self, cluster_arn: &str) -> Listing<String> {
        self.fleet.broker_hosts(cluster_arn)
    }
}

impl ConnectService for FakeAccount<'_> {
    async fn connectors(&self) -> Listing<Connector> {
        self.fleet.connectors()
    }
}

impl PrivateCaService for FakeAccount<'_> {
    async fn describe(&self, arn: &str) -> Result<CaDescription, RuleError> {
        self.cas.describe(arn).await
    }

    async fn issuers(&self, arn: &str) -> Result<Issuers, RuleError> {
        self.cas.issuers(arn).await
    }
}

impl Accounts for FakeAccount<'_> {
    async fn own_account(&self) -> Result<String, RuleError> {
        Ok("123456789012".into())
    }

    async fn assume_role(&self, role_arn: &str) -> Result<Self, RuleError> {
        self.assumed.lock().unwrap().push(role_arn.to_owned());
        Ok(*self)
    }
}

/// One invocation of the application over the fakes, as the Lambda handler runs it (evaluations
/// sent), at the fixed "now", with no own account known.
pub async fn handle(
    history: &FakeHistory,
    cas: &FakeCas,
    fleet: &FakeFleet,
    sink: &FakeSink,
    event: Value,
) -> Result<InvocationSummary, RuleError> {
    let assumed = Mutex::new(Vec::new());
    let account = FakeAccount {
        sink,
        history,
        cas,
        fleet,
        assumed: &assumed,
    };
    send(&account, &event).await.map(|outcome| outcome.summary)
}

/// One invocation as the Lambda handler runs it (evaluations sent, no alert topic), at the fixed
/// "now", with no own account known.
pub async fn send<A: Accounts + Notifier>(
    account: &A,
    event: &Value,
) -> Result<msk_mtls_rule::app::Outcome, RuleError> {
    msk_mtls_rule::app::invoke(
        account,
        &event.to_string(),
        None,
        Mode::Send,
        &AlertSettings::default(),
        fixed_now(),
    )
    .await
}

/// What `audit` asks beyond the rule's calls: who the caller is, its regions and its organization.
/// Every call is recorded as `Operation account region`.
#[derive(Default)]
pub struct FakeDirectory {
    /// `None`: no region configured.
    pub home_region: Option<String>,
    /// Served one per page.
    pub enabled_regions: Vec<String>,
    /// Served one per page.
    pub organization: Vec<MemberAccount>,
    /// Accounts whose role cannot be assumed.
    pub denied_accounts: Vec<String>,
    /// Regions whose clusters cannot be listed.
    pub unreadable_regions: Vec<String>,
    pub calls: Mutex<Vec<String>>,
}

/// The caller's account, or a member's reached through a role, in one region (or the home one).
#[derive(Clone, Copy)]
pub struct FakeOrgAccount<'a> {
    pub services: FakeAccount<'a>,
    pub directory: &'a FakeDirectory,
    pub account: &'a str,
    pub region: Option<&'a str>,
}

impl<'a> FakeOrgAccount<'a> {
    fn record(&self, operation: &str) {
        self.directory.calls.lock().unwrap().push(format!(
            "{operation} {} {}",
            self.account,
            self.region.unwrap_or("-")
        ));
    }

    fn one_per_page<T: Clone>(items: &[T], token: Option<String>) -> Page<T> {
        let index: usize = token.map_or(0, |token| token.parse().unwrap());
        Page {
            items: items.get(index).cloned().into_iter().collect(),
            next_token: (index + 1 < items.len()).then(|| (index + 1).to_string()),
        }
    }
}

impl ConfigService for FakeOrgAccount<'_> {
    async fn put_evaluations(
        &self,
        _: &ResultToken,
        _: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, RuleError> {
        panic!("audit never writes to Config")
    }

    async fn latest_item(
        &self,
        _: &ResourceKey,
        _: Timestamp,
    ) -> Result<ConfigurationItem, RuleError> {
        panic!("audit never reads Config's history")
    }

    async fn evaluated_resources(
        &self,
        _: &str,
        _: Option<String>,
    ) -> Result<Page<Held>, RuleError> {
        panic!("audit never reads Config's results")
    }

    async fn held_result(&self, _: &str, _: &ResourceKey) -> Result<Option<HeldResult>, RuleError> {
        panic!("audit never reads Config's results")
    }
}

impl KafkaService for FakeOrgAccount<'_> {
    async fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> Result<Page<ListedCluster>, RuleError> {
        self.record("ListClustersV2");
        if self.region.is_some_and(|region| {
            self.directory
                .unreadable_regions
                .iter()
                .any(|r| r == region)
        }) {
            return Err(RuleError::aws("ListClustersV2", "AccessDeniedException"));
        }
        self.services.list_clusters(next_token).await
    }

    async fn configuration_revision(
        &self,
        revision: &ConfigurationRevision,
    ) -> Result<ConfigurationRead, RuleError> {
        self.record("DescribeConfigurationRevision");
        self.services.configuration_revision(revision).await
    }

    async fn zookeeper_changes(&self, cluster_arn: &str) -> Result<OperationsRead, RuleError> {
        self.record("ListClusterOperations");
        self.services.zookeeper_changes(cluster_arn).await
    }

    async fn replicators(&self) -> Listing<Replicator> {
        self.record("ListReplicators");
        self.services.replicators().await
    }

    async fn client_vpc_connections(&self, cluster_arn: &str) -> Listing<ClientVpcConnection> {
        self.record("ListClientVpcConnections");
        self.services.client_vpc_connections(cluster_arn).await
    }

    async fn broker_hosts(&self, cluster_arn: &str) -> Listing<String> {
        self.record("GetBootstrapBrokers");
        self.services.broker_hosts(cluster_arn).await
    }
}

impl ConnectService for FakeOrgAccount<'_> {
    async fn connectors(&self) -> Listing<Connector> {
        self.record("ListConnectors");
        self.services.connectors().await
    }
}

impl PrivateCaService for FakeOrgAccount<'_> {
    async fn describe(&self, arn: &str) -> Result<CaDescription, RuleError> {
        self.services.describe(arn).await
    }

    async fn issuers(&self, arn: &str) -> Result<Issuers, RuleError> {
        self.services.issuers(arn).await
    }
}

impl<'a> Accounts for FakeOrgAccount<'a> {
    async fn own_account(&self) -> Result<String, RuleError> {
        Ok(self.account.to_owned())
    }

    async fn assume_role(&self, role_arn: &str) -> Result<Self, RuleError> {
        self.services
            .assumed
            .lock()
            .unwrap()
            .push(role_arn.to_owned());
        let account = role_arn.split(':').nth(4).unwrap();
        match self
            .directory
            .denied_accounts
            .iter()
            .find(|denied| *denied == account)
        {
            Some(denied) => Err(RuleError::aws(
                "AssumeRole",
                format!("AccessDenied in {denied}"),
            )),
            None => Ok(FakeOrgAccount {
                account: self
                    .directory
                    .organization
                    .iter()
                    .map(|member| member.id.as_str())
                    .chain(self.directory.denied_accounts.iter().map(String::as_str))
                    .find(|id| *id == account)
                    .unwrap_or_else(|| panic!("{account} is not in the fake organization")),
                ..*self
            }),
        }
    }
}

impl Brokers for FakeOrgAccount<'_> {
    async fn bootstrap_brokers(
        &self,
        cluster_arn: &str,
    ) -> Result<Vec<(String, String)>, RuleError> {
        self.record(&format!("GetBootstrapBrokers {cluster_arn}"));
        Ok(self
            .services
            .fleet
            .bootstrap_brokers
            .get(cluster_arn)
            .cloned()
            .unwrap_or_default())
    }

    async fn zookeeper_nodes(&self, cluster_arn: &str) -> Result<Vec<(String, String)>, RuleError> {
        self.record(&format!("DescribeClusterV2 {cluster_arn}"));
        Ok(self
            .services
            .fleet
            .zookeeper_nodes
            .get(cluster_arn)
            .cloned()
            .unwrap_or_default())
    }
}

impl<'a> Directory for FakeOrgAccount<'a> {
    async fn caller(&self) -> Result<Caller, RuleError> {
        self.record("GetCallerIdentity");
        Ok(Caller {
            account: self.account.to_owned(),
            partition: "aws".into(),
        })
    }

    async fn home_region(&self) -> Option<String> {
        self.directory.home_region.clone()
    }

    async fn in_region(&self, region: &str) -> Self {
        let region = self
            .directory
            .enabled_regions
            .iter()
            .find(|known| *known == region)
            .unwrap_or_else(|| panic!("{region} is not a fake region"));
        FakeOrgAccount {
            region: Some(region.as_str()),
            ..*self
        }
    }

    async fn enabled_regions(&self, next_token: Option<String>) -> Result<Page<String>, RuleError> {
        self.record("ListRegions");
        Ok(Self::one_per_page(
            &self.directory.enabled_regions,
            next_token,
        ))
    }

    async fn organization_accounts(
        &self,
        next_token: Option<String>,
    ) -> Result<Page<MemberAccount>, RuleError> {
        self.record("ListAccounts");
        Ok(Self::one_per_page(&self.directory.organization, next_token))
    }
}
