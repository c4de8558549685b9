//! From a parsed event to evaluations: the item in a change event, or the item an oversized
//! notification is about; a sweep (sweep.rs) judges every cluster with the same evaluator.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures_util::future::{join, join3, join5};
use futures_util::stream::{self, StreamExt};

use crate::alerts::{follow_up, Context, Followed};
use crate::app::delivery::{Delivery, DoorUsersLookup};
use crate::aws::pager::Pager;
use crate::aws::ports::{Account, Notifier};
use crate::edge::event::ConfigRuleEvent;
use crate::edge::item::ConfigurationItem;
use crate::edge::kafka::ListedCluster;
use crate::error::RuleError;
use crate::rule::applicability::{applicability, NotApplicable, Presence, Subject};
use crate::rule::authorization::{BrokerConfiguration, ConfigurationReport, ConfigurationRevision};
use crate::rule::ca::{
    add_trusted_by, CaDescription, CaHealthReport, CaTrust, Fleet, Issuers, TrustedBy,
};
use crate::rule::checks::Inputs;
use crate::rule::doors::{
    ClientVpcConnection, Connector, Door, DoorUsers, Listing, Replicator, UsedBy,
};
use crate::rule::evaluation::{annotation, ComplianceType, Evaluation, ResourceKey, ResourceType};
use crate::rule::facts::{Cluster, ClusterFacts};
use crate::rule::held::HeldResult;
use crate::rule::params::{RuleParams, SaslMechanism};
use crate::rule::time::Timestamp;
use crate::rule::verdict::{evaluate, open_doors, Judgement};
use crate::rule::zookeeper::{Metadata, OnBecause, OperationsRead, ZooKeeperAccess};

/// GetComplianceDetailsByConfigRule takes a rule name of at most 64 characters, although Config
/// lets a rule be named with up to 128.
pub const MAX_RULE_NAME_CHARS: usize = 64;

/// One invocation's evaluations in one account, with the CA health and the configuration
/// revisions it looked up (each once).
pub struct Evaluator<'a, A> {
    pub account: &'a A,
    pub params: &'a RuleParams,
    pub now: Timestamp,
    pub cas: CaHealthReport,
    /// The CAs' type, usage mode and issuers, and the account's clusters by CA where listed.
    pub trust: CaTrust,
    pub configurations: ConfigurationReport,
    pub stage: Stage,
    pub follow: Follow<'a>,
    /// Whether the services using a door the checks find open are named.
    pub door_users: DoorUsersLookup,
    /// The account's connectors and replicators, listed once per invocation when first needed.
    pub listed: DoorUsers,
}

/// Whether the clusters judged exist yet: what only a running cluster has (its ZooKeeper access)
/// is read from AWS for one, and is not known before deploy for a hook's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Deployed,
    BeforeDeploy,
}

/// What an evaluation that is sent is followed by: the held result it is compared with, and who
/// is told.
#[derive(Debug, Clone)]
pub struct Follow<'a> {
    /// Read the result Config holds (the function); the local command reads none.
    pub read_held: bool,
    pub owner_tag_keys: &'a [String],
    pub context: Context<'a>,
    /// A sweep reports the CAs expiring within this many days (with an alert topic).
    pub ca_alert_days: Option<u32>,
}

impl Follow<'_> {
    /// Nothing follows: the hook and `audit` judge, and send nothing to Config.
    pub fn none() -> Self {
        Follow {
            read_held: false,
            owner_tag_keys: &[],
            context: Context {
                rule_name: "",
                account: "",
                region: "",
            },
            ca_alert_days: None,
        }
    }
}

impl<'a, A> Evaluator<'a, A> {
    /// An evaluator whose results are not sent (the hook, `audit`).
    pub fn judging_only(account: &'a A, params: &'a RuleParams, now: Timestamp) -> Self {
        Evaluator {
            account,
            params,
            now,
            cas: CaHealthReport::new(),
            trust: CaTrust::default(),
            configurations: ConfigurationReport::new(),
            stage: Stage::Deployed,
            follow: Follow::none(),
            door_users: DoorUsersLookup::Named,
            listed: DoorUsers::default(),
        }
    }
}

/// A judgement, and the resource's tags where known; in a listing, the cluster as read (for
/// reports that show it, as ASFF's resource details do).
pub struct Judged {
    pub judgement: Judgement,
    pub tags: Option<BTreeMap<String, String>>,
    pub cluster: Option<Cluster>,
}

impl<'a, A: Account> Evaluator<'a, A> {
    /// A change event's item, judged, followed up and handed to `out`.
    pub async fn run_change<N: Notifier>(
        &mut self,
        event: &ConfigRuleEvent,
        item: &ConfigurationItem,
        out: &mut Delivery<'_, A, N>,
    ) -> Result<(), RuleError> {
        let held = self.held_result(event, item)?;
        let (judged, held) = join(self.evaluate_item(item, event.event_left_scope), held).await;
        self.push(judged?, held?, out);
        Ok(())
    }

    /// The item an oversized notification is about, judged, followed up and handed to `out`.
    pub async fn run_oversized<N: Notifier>(
        &mut self,
        event: &ConfigRuleEvent,
        summary: &ConfigurationItem,
        out: &mut Delivery<'_, A, N>,
    ) -> Result<(), RuleError> {
        let held = self.held_result(event, summary)?;
        let (judged, held) = join(
            self.evaluate_oversized(summary, event.event_left_scope),
            held,
        )
        .await;
        self.push(judged?, held?, out);
        Ok(())
    }

    /// The read of the result Config holds for the item's resource (for the transition and the
    /// clock), which needs nothing the verdict does: it goes out beside the verdict's own reads,
    /// one round trip for both. Another resource type (a tag-scoped rule is sent every tagged
    /// resource) is never NON_COMPLIANT, so it has no transition to find and no read.
    fn held_result(
        &self,
        event: &ConfigRuleEvent,
        item: &ConfigurationItem,
    ) -> Result<impl Future<Output = Result<Option<HeldResult>, RuleError>> + 'a, RuleError> {
        let account = self.account;
        let read = self.follow.read_held && item.resource_type.is_msk_cluster();
        let rule = if read {
            Some(rule_name(event)?.to_owned())
        } else {
            None
        };
        let key = ResourceKey {
            resource_type: item.resource_type.clone(),
            resource_id: item.resource_id.clone(),
        };
        Ok(async move {
            match rule {
                Some(rule) => account.held_result(&rule, &key).await,
                None => Ok(None),
            }
        })
    }

    fn push<N: Notifier>(
        &self,
        judged: Judged,
        held: Option<HeldResult>,
        out: &mut Delivery<'_, A, N>,
    ) {
        out.push(self.follow_up(held.as_ref(), judged.judgement, judged.tags.as_ref()));
    }

    /// The clock, the transition and the alert of an evaluation, from the result held before it.
    pub(crate) fn follow_up(
        &self,
        held: Option<&HeldResult>,
        judgement: Judgement,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Followed {
        follow_up(
            held,
            judgement,
            tags,
            self.follow.owner_tag_keys,
            &self.follow.context,
        )
    }

    async fn evaluate_item(
        &mut self,
        item: &ConfigurationItem,
        left_scope: bool,
    ) -> Result<Judged, RuleError> {
        let subject = Subject {
            resource_type: &item.resource_type,
            presence: item.presence(),
            left_scope,
            tags: Some(&item.tags),
        };
        let cluster = || {
            item.cluster()
                .map_err(|e| RuleError::InvalidEvent(format!("configurationItem.{e}")))
        };
        let judgement = self
            .judge(&subject, &item.resource_id, item.capture_time, cluster)
            .await?;
        Ok(Judged {
            judgement,
            tags: Some(item.tags.clone()),
            cluster: None,
        })
    }

    /// The summary's item, fetched from Config: only the item the notification is about may be
    /// judged, since an older one may hold the settings the change just removed. Failing lets Lambda
    /// retry the event, by when Config has recorded the item.
    async fn evaluate_oversized(
        &mut self,
        summary: &ConfigurationItem,
        left_scope: bool,
    ) -> Result<Judged, RuleError> {
        let subject = Subject {
            resource_type: &summary.resource_type,
            presence: summary.presence(),
            left_scope,
            tags: None,
        };
        if let Some(reason) = applicability(&subject, self.params) {
            return Ok(Judged {
                judgement: Judgement::not_applicable(not_applicable(
                    &subject,
                    &summary.resource_id,
                    summary.capture_time,
                    &reason,
                )),
                tags: None,
                cluster: None,
            });
        }
        let key = ResourceKey {
            resource_type: summary.resource_type.clone(),
            resource_id: summary.resource_id.clone(),
        };
        let item = self.account.latest_item(&key, summary.capture_time).await?;
        let history = |message: String| RuleError::aws("GetResourceConfigHistory", message);
        if (&item.resource_type, &item.resource_id) != (&key.resource_type, &key.resource_id) {
            return Err(history(format!(
                "answered for {} {} instead of {} {}",
                item.resource_type, item.resource_id, key.resource_type, key.resource_id
            )));
        }
        if item.capture_time != summary.capture_time {
            return Err(history(format!(
                "the newest item of {} recorded at or before {} was captured at {}, not at the \
                 notification's time: the item it is about is not readable yet",
                key.resource_id, summary.capture_time, item.capture_time
            )));
        }
        self.evaluate_item(&item, left_scope)
            .await
            .map_err(|error| match error {
                RuleError::InvalidEvent(message) => history(message),
                other => other,
            })
    }

    /// A page of listed clusters (present, with their tags), judged in the order given. The reads
    /// their checks need go out together, a few per API at a time (`READS_IN_FLIGHT`): a page
    /// costs the round trips of one cluster, not one per cluster.
    pub(crate) async fn judge_page(
        &mut self,
        page: Vec<ListedCluster>,
        ordering_timestamp: Timestamp,
    ) -> Result<Vec<Judged>, RuleError> {
        let mut judged: Vec<Option<Judged>> = Vec::with_capacity(page.len());
        let mut checked: Vec<(usize, ListedCluster)> = Vec::new();
        for listed in page {
            let subject = Subject {
                resource_type: &listed.resource_type,
                presence: Presence::Present,
                left_scope: false,
                tags: Some(&listed.tags),
            };
            match applicability(&subject, self.params) {
                Some(reason) => {
                    let evaluation =
                        not_applicable(&subject, &listed.arn, ordering_timestamp, &reason);
                    judged.push(Some(Judged {
                        judgement: Judgement::not_applicable(evaluation),
                        tags: Some(listed.tags),
                        cluster: Some(listed.cluster),
                    }));
                }
                None => {
                    checked.push((judged.len(), listed));
                    judged.push(None);
                }
            }
        }
        let clusters: Vec<(&Cluster, &str)> = checked
            .iter()
            .map(|(_, listed)| (&listed.cluster, listed.arn.as_str()))
            .collect();
        let looked_up = self.look_up(&clusters).await?;
        for ((slot, listed), looked_up) in checked.into_iter().zip(looked_up) {
            let judgement = self.checked(
                &listed.resource_type,
                &listed.arn,
                ordering_timestamp,
                &listed.cluster,
                looked_up,
            );
            judged[slot] = Some(Judged {
                judgement,
                tags: Some(listed.tags),
                cluster: Some(listed.cluster),
            });
        }
        Ok(judged.into_iter().flatten().collect())
    }

    /// Applicability first, then the checks: the cluster is read, and its CAs and configuration
    /// looked up, only for a resource the checks judge.
    pub(crate) async fn judge(
        &mut self,
        subject: &Subject<'_>,
        resource_id: &str,
        ordering_timestamp: Timestamp,
        cluster: impl FnOnce() -> Result<Cluster, RuleError>,
    ) -> Result<Judgement, RuleError> {
        if let Some(reason) = applicability(subject, self.params) {
            let evaluation = not_applicable(subject, resource_id, ordering_timestamp, &reason);
            return Ok(Judgement::not_applicable(evaluation));
        }
        let cluster = cluster()?;
        let looked_up = self
            .look_up(&[(&cluster, resource_id)])
            .await?
            .pop()
            .unwrap_or_default();
        Ok(self.checked(
            subject.resource_type,
            resource_id,
            ordering_timestamp,
            &cluster,
            looked_up,
        ))
    }

    /// The checks' verdict on a cluster, with what was looked up for it.
    fn checked(
        &self,
        resource_type: &ResourceType,
        resource_id: &str,
        ordering_timestamp: Timestamp,
        cluster: &Cluster,
        (zookeeper, used_by): LookedUp,
    ) -> Judgement {
        let verdict = evaluate(&Inputs {
            cluster,
            params: self.params,
            resource_id,
            cas: &self.cas,
            trust: &self.trust,
            configurations: &self.configurations,
            zookeeper: zookeeper.as_ref(),
            used_by: &used_by,
            now: self.now,
        });
        let evaluation = Evaluation {
            resource_type: resource_type.clone(),
            resource_id: resource_id.to_owned(),
            compliance: verdict.compliance,
            annotation: verdict.annotation(),
            ordering_timestamp,
        };
        Judgement {
            evaluation,
            findings: verdict.findings,
            notes: verdict.notes,
        }
    }

    /// The reads the checks of `clusters` need that this invocation has not made yet, in two
    /// rounds. First, all at once, since each depends on the clusters alone: each CA's health
    /// (once per invocation, when the rule checks CAs), each configuration revision the brokers run
    /// (once per invocation, however many clusters share it), each ZooKeeper-mode cluster's
    /// operations (its own), the account's listings of who may use an open door (once per
    /// invocation) and each multi-VPC SASL door's clients' VPC connections. Then the broker hosts
    /// of the clusters a listed connector may use through an open door.
    async fn look_up(&mut self, clusters: &[(&Cluster, &str)]) -> Result<Vec<LookedUp>, RuleError> {
        let facts: Vec<Option<&ClusterFacts>> = clusters
            .iter()
            .map(|(cluster, _)| match cluster {
                Cluster::Provisioned(facts) => Some(facts),
                Cluster::Serverless => None,
            })
            .collect();
        let doors = self.doors_to_name(clusters);
        let (cas, policies) = (self.cas_to_read(&facts), self.policies_to_read(&facts));
        let revisions = self.revisions_to_read(&facts);
        let walk = self.fleet_to_list();
        let (account, stage) = (self.account, self.stage);
        let (ca_reads, revisions_read, operations, listings, vpc_connections) = join5(
            read_cas(account, &cas, &policies, walk),
            bounded(&revisions, |revision| {
                Some(account.configuration_revision(revision))
            }),
            bounded(clusters.iter().zip(&facts), |((_, arn), facts)| {
                (stage == Stage::Deployed && runs_zookeeper(*facts))
                    .then(|| account.zookeeper_changes(arn))
            }),
            account_listings(account, &self.listed, &doors),
            bounded(clusters.iter().zip(&doors), |((_, arn), doors)| {
                has_multi_vpc_sasl(doors).then(|| account.client_vpc_connections(arn))
            }),
        )
        .await;
        self.keep_cas(cas, policies, ca_reads)?;
        for (revision, read) in revisions
            .into_iter()
            .zip(revisions_read.into_iter().flatten())
        {
            self.configurations.insert(revision.clone(), read?);
        }
        let zookeeper = facts
            .iter()
            .zip(operations)
            .map(|(facts, read)| zookeeper_access(stage, *facts, read))
            .collect::<Result<Vec<_>, _>>()?;
        let (connectors, replicators) = listings;
        self.listed.connectors = self.listed.connectors.take().or(connectors);
        self.listed.replicators = self.listed.replicators.take().or(replicators);
        let broker_hosts = bounded(clusters.iter().zip(&doors), |((_, arn), doors)| {
            connector_may_use(&self.listed, arn, doors).then(|| account.broker_hosts(arn))
        })
        .await;
        let mut looked_up = Vec::with_capacity(clusters.len());
        for ((((_, arn), doors), zookeeper), (hosts, connections)) in clusters
            .iter()
            .zip(doors)
            .zip(zookeeper)
            .zip(broker_hosts.into_iter().zip(vpc_connections))
        {
            looked_up.push((zookeeper, self.name_users(hosts, connections, arn, &doors)));
        }
        Ok(looked_up)
    }

    /// The doors each cluster has open whose users are named: a provisioned cluster's, once it
    /// exists, unless the local command skips them.
    fn doors_to_name(&self, clusters: &[(&Cluster, &str)]) -> Vec<Vec<Door>> {
        clusters
            .iter()
            .map(
                |(cluster, _)| match (cluster, self.stage, self.door_users) {
                    (Cluster::Provisioned(_), Stage::Deployed, DoorUsersLookup::Named) => {
                        open_doors(cluster, self.params, self.now)
                    }
                    _ => Vec::new(),
                },
            )
            .collect()
    }

    /// The CAs the clusters trust that this invocation has not described, each once.
    fn cas_to_read<'c>(&self, facts: &[Option<&'c ClusterFacts>]) -> BTreeSet<&'c String> {
        if !self.params.check_certificate_authority_status {
            return BTreeSet::new();
        }
        trusted(facts)
            .filter(|arn| !self.cas.contains_key(*arn))
            .collect()
    }

    /// The CAs the clusters trust whose resource policy this invocation has not read, each once.
    fn policies_to_read<'c>(&self, facts: &[Option<&'c ClusterFacts>]) -> BTreeSet<&'c String> {
        if !self.params.check_certificate_authority_status {
            return BTreeSet::new();
        }
        trusted(facts)
            .filter(|arn| !self.trust.issuers.contains_key(*arn))
            .collect()
    }

    /// Whether this invocation lists the account's clusters to learn which other clusters trust
    /// a CA: once, for a cluster that exists (a sweep and `audit` list them anyway).
    fn fleet_to_list(&self) -> bool {
        self.params.certificate_authority_per_cluster && self.trust.fleet == Fleet::NotListed
    }

    /// What was read of the CAs: each one's health, type and usage mode, its issuers, and the
    /// account's clusters by CA when they were listed.
    fn keep_cas(
        &mut self,
        cas: BTreeSet<&String>,
        policies: BTreeSet<&String>,
        (described, issuers, fleet): CaReads,
    ) -> Result<(), RuleError> {
        for (arn, description) in cas.into_iter().zip(described.into_iter().flatten()) {
            let description = description?;
            self.cas.insert(arn.clone(), description.health);
            if let Some(profile) = description.profile {
                self.trust.profiles.insert(arn.clone(), profile);
            }
        }
        for (arn, read) in policies.into_iter().zip(issuers.into_iter().flatten()) {
            self.trust.issuers.insert(arn.clone(), read?);
        }
        if let Some(fleet) = fleet {
            self.trust.fleet = Fleet::Listed(fleet?);
        }
        Ok(())
    }

    /// The configuration revisions the clusters run that this invocation has not read, each once.
    fn revisions_to_read<'c>(
        &self,
        facts: &[Option<&'c ClusterFacts>],
    ) -> BTreeSet<&'c ConfigurationRevision> {
        facts
            .iter()
            .flatten()
            .filter_map(|facts| match &facts.configuration {
                BrokerConfiguration::Revision(revision)
                    if !self.configurations.contains_key(revision) =>
                {
                    Some(revision)
                }
                _ => None,
            })
            .collect()
    }

    /// Who uses each of a cluster's open doors, from the account's listings this invocation holds
    /// and the cluster's own broker hosts and clients' VPC connections.
    fn name_users(
        &mut self,
        broker_hosts: Option<Listing<String>>,
        vpc_connections: Option<Listing<ClientVpcConnection>>,
        cluster_arn: &str,
        doors: &[Door],
    ) -> BTreeMap<Door, UsedBy> {
        self.listed.broker_hosts = broker_hosts;
        self.listed.vpc_connections = vpc_connections;
        let used_by = doors
            .iter()
            .map(|door| (*door, self.listed.of(*door, cluster_arn)))
            .collect();
        self.listed.broker_hosts = None;
        self.listed.vpc_connections = None;
        used_by
    }
}

/// What the checks read for one cluster beyond its settings: whether its ZooKeeper is reachable
/// directly (a ZooKeeper-mode cluster), and who uses each door it has open.
type LookedUp = (Option<ZooKeeperAccess>, BTreeMap<Door, UsedBy>);

/// At most this many reads of one API in flight at once: a page of clusters goes out together
/// without becoming a burst AWS throttles (a throttled read backs off, holding its place).
pub const READS_IN_FLIGHT: usize = 8;

/// The reads `read` asks for (`None`: no read for that item), at most `READS_IN_FLIGHT` in flight
/// at once, each answer in its item's place. Only the reads made count against the bound: items
/// without one never hold a place.
async fn bounded<I, F>(
    items: I,
    mut read: impl FnMut(I::Item) -> Option<F>,
) -> Vec<Option<F::Output>>
where
    I: IntoIterator,
    F: Future,
{
    let mut answers: Vec<Option<F::Output>> = Vec::new();
    let mut reads = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        answers.push(None);
        if let Some(future) = read(item) {
            reads.push(async move { (index, future.await) });
        }
    }
    let mut answered = stream::iter(reads).buffer_unordered(READS_IN_FLIGHT);
    while let Some((index, answer)) = answered.next().await {
        answers[index] = Some(answer);
    }
    answers
}

/// The account's listings of who may use an open door that `known` does not hold yet: its MSK
/// Connect connectors (unauthenticated access and SASL/IAM) and MSK Replicators (SASL/IAM).
async fn account_listings<A: Account>(
    account: &A,
    known: &DoorUsers,
    doors: &[Vec<Door>],
) -> (Option<Listing<Connector>>, Option<Listing<Replicator>>) {
    let any = |wanted: fn(&Door) -> bool| doors.iter().flatten().any(wanted);
    let connectors = async {
        let wanted =
            any(|door| matches!(door, Door::Unauthenticated | Door::Sasl(SaslMechanism::Iam)));
        match known.connectors.is_none() && wanted {
            true => Some(account.connectors().await),
            false => None,
        }
    };
    let replicators = async {
        let wanted = any(|door| *door == Door::Sasl(SaslMechanism::Iam));
        match known.replicators.is_none() && wanted {
            true => Some(account.replicators().await),
            false => None,
        }
    };
    join(connectors, replicators).await
}

/// The CAs described, their policies read (each in its CA's place) and the account's clusters
/// listed, when asked for.
type CaReads = (
    Vec<Option<Result<CaDescription, RuleError>>>,
    Vec<Option<Result<Issuers, RuleError>>>,
    Option<Result<TrustedBy, RuleError>>,
);

/// Each CA described, each policy read, and the account's clusters listed when `walk`: all at once.
async fn read_cas<A: Account>(
    account: &A,
    cas: &BTreeSet<&String>,
    policies: &BTreeSet<&String>,
    walk: bool,
) -> CaReads {
    let fleet = async move {
        match walk {
            true => Some(list_fleet(account).await),
            false => None,
        }
    };
    join3(
        bounded(cas, |arn| Some(account.describe(arn))),
        bounded(policies, |arn| Some(account.issuers(arn))),
        fleet,
    )
    .await
}

/// Every CA the clusters trust.
fn trusted<'f, 'c>(facts: &'f [Option<&'c ClusterFacts>]) -> impl Iterator<Item = &'c String> + 'f
where
    'c: 'f,
{
    facts
        .iter()
        .flatten()
        .flat_map(|facts| &facts.certificate_authority_arns)
}

/// Each CA of the account's clusters with the clusters that trust it: one ListClustersV2 walk, for
/// a change event (each cluster once however often the walk lists it).
async fn list_fleet<A: Account>(account: &A) -> Result<TrustedBy, RuleError> {
    let (mut trusted_by, mut seen) = (TrustedBy::new(), BTreeSet::new());
    let mut pages = Pager::new("ListClustersV2");
    loop {
        let page = account.list_clusters(pages.token()).await?;
        for listed in page.items {
            if seen.insert(listed.arn.clone()) {
                add_trusted_by(&mut trusted_by, &listed.arn, &listed.cluster);
            }
        }
        if !pages.advance(page.next_token)? {
            return Ok(trusted_by);
        }
    }
}

/// Whether a cluster's clients' VPC connections are read: only for a multi-VPC SASL door.
fn has_multi_vpc_sasl(doors: &[Door]) -> bool {
    doors
        .iter()
        .any(|door| matches!(door, Door::MultiVpcSasl(_)))
}

/// Whether a cluster's broker hosts are read: only when a listed connector may use one of its open
/// doors (its hosts spell the cluster's name).
fn connector_may_use(known: &DoorUsers, cluster_arn: &str, doors: &[Door]) -> bool {
    let iam = doors.contains(&Door::Sasl(SaslMechanism::Iam));
    let unauthenticated = doors.contains(&Door::Unauthenticated);
    let through_a_door = |connector: &Connector| {
        let door = if connector.iam { iam } else { unauthenticated };
        door && connector.may_use(cluster_arn)
    };
    matches!(&known.connectors, Some(Ok(listed)) if listed.iter().any(through_a_door))
}

fn runs_zookeeper(facts: Option<&ClusterFacts>) -> bool {
    facts.is_some_and(|facts| facts.metadata == Metadata::ZooKeeper)
}

/// Whether a ZooKeeper-mode cluster's ZooKeeper is reachable directly, from its operations (one
/// listing, `read` once it exists); `None` for a cluster without that door.
fn zookeeper_access(
    stage: Stage,
    facts: Option<&ClusterFacts>,
    read: Option<Result<OperationsRead, RuleError>>,
) -> Result<Option<ZooKeeperAccess>, RuleError> {
    if !runs_zookeeper(facts) {
        return Ok(None);
    }
    Ok(Some(match (stage, read) {
        (Stage::BeforeDeploy, _) => ZooKeeperAccess::On(OnBecause::NotKnownBeforeDeploy),
        (Stage::Deployed, Some(read)) => read?.access(),
        (Stage::Deployed, None) => ZooKeeperAccess::On(OnBecause::Unreadable("not read".into())),
    }))
}

fn not_applicable(
    subject: &Subject,
    resource_id: &str,
    ordering_timestamp: Timestamp,
    reason: &NotApplicable,
) -> Evaluation {
    Evaluation {
        resource_type: subject.resource_type.clone(),
        resource_id: resource_id.to_owned(),
        compliance: ComplianceType::NotApplicable,
        annotation: annotation(&[reason.to_string()]),
        ordering_timestamp,
    }
}

/// The rule's name, which a sweep needs to find the results it holds.
pub(crate) fn rule_name(event: &ConfigRuleEvent) -> Result<&str, RuleError> {
    let name = event.config_rule_name.as_deref().ok_or_else(|| {
        RuleError::InvalidEvent(
            "configRuleName is missing: the results the rule holds (for a sweep's stale results, \
             and for transitions and the clock of time to remediate) are read by it"
                .into(),
        )
    })?;
    let length = name.chars().count();
    if length > MAX_RULE_NAME_CHARS {
        return Err(RuleError::InvalidEvent(format!(
            "configRuleName {name:?} has {length} characters: GetComplianceDetailsByConfigRule, which \
             the sweep needs to find stale results, takes at most {MAX_RULE_NAME_CHARS}; rename the rule"
        )));
    }
    Ok(name)
}
