//! From a parsed event to evaluations: the item in a change event, or the item an oversized
//! notification is about; a sweep (sweep.rs) judges every cluster with the same evaluator.

use std::collections::BTreeMap;
use std::future::Future;

use futures_util::future::{join, join3, try_join_all};

use crate::alerts::{follow_up, Context, Followed};
use crate::app::delivery::{Delivery, DoorUsersLookup};
use crate::aws::ports::{Account, Notifier};
use crate::edge::event::ConfigRuleEvent;
use crate::edge::item::ConfigurationItem;
use crate::edge::kafka::ListedCluster;
use crate::error::RuleError;
use crate::rule::applicability::{applicability, NotApplicable, Presence, Subject};
use crate::rule::authorization::{BrokerConfiguration, ConfigurationReport};
use crate::rule::ca::CaHealthReport;
use crate::rule::checks::Inputs;
use crate::rule::doors::{Connector, Door, DoorUsers, UsedBy};
use crate::rule::evaluation::{annotation, ComplianceType, Evaluation, ResourceKey};
use crate::rule::facts::{Cluster, ClusterFacts};
use crate::rule::held::HeldResult;
use crate::rule::params::{RuleParams, SaslMechanism};
use crate::rule::time::Timestamp;
use crate::rule::verdict::{evaluate, open_doors, Judgement};
use crate::rule::zookeeper::{Metadata, OnBecause, ZooKeeperAccess};

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
            configurations: ConfigurationReport::new(),
            stage: Stage::Deployed,
            follow: Follow::none(),
            door_users: DoorUsersLookup::Named,
            listed: DoorUsers::default(),
        }
    }
}

/// A judgement, and the resource's tags where known.
pub struct Judged {
    pub judgement: Judgement,
    pub tags: Option<BTreeMap<String, String>>,
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
        self.push(judged?, held?, out).await
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
        self.push(judged?, held?, out).await
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

    async fn push<N: Notifier>(
        &self,
        judged: Judged,
        held: Option<HeldResult>,
        out: &mut Delivery<'_, A, N>,
    ) -> Result<(), RuleError> {
        out.push(self.follow_up(held.as_ref(), judged.judgement, judged.tags.as_ref()))
            .await
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

    /// A cluster as ListClustersV2 gave it (present, with its tags), judged.
    pub(crate) async fn judge_listed(
        &mut self,
        listed: ListedCluster,
        ordering_timestamp: Timestamp,
    ) -> Result<Judgement, RuleError> {
        let subject = Subject {
            resource_type: &listed.resource_type,
            presence: Presence::Present,
            left_scope: false,
            tags: Some(&listed.tags),
        };
        self.judge(&subject, &listed.arn, ordering_timestamp, || {
            Ok(listed.cluster)
        })
        .await
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
        let (zookeeper, used_by) = self.look_up(&cluster, resource_id).await?;
        let verdict = evaluate(&Inputs {
            cluster: &cluster,
            params: self.params,
            cas: &self.cas,
            configurations: &self.configurations,
            zookeeper: zookeeper.as_ref(),
            used_by: &used_by,
            now: self.now,
        });
        let evaluation = Evaluation {
            resource_type: subject.resource_type.clone(),
            resource_id: resource_id.to_owned(),
            compliance: verdict.compliance,
            annotation: verdict.annotation(),
            ordering_timestamp,
        };
        Ok(Judgement {
            evaluation,
            findings: verdict.findings,
            notes: verdict.notes,
        })
    }

    /// The reads the checks need that this invocation has not made yet, all at once, since each
    /// depends on the cluster alone: each CA's health (once per invocation, when the rule checks
    /// CAs), the configuration revision the brokers run (once per invocation, however many
    /// clusters share it), a ZooKeeper-mode cluster's operations (its own), and who uses the
    /// doors it has open. One round trip where they were four.
    async fn look_up(
        &mut self,
        cluster: &Cluster,
        cluster_arn: &str,
    ) -> Result<(Option<ZooKeeperAccess>, BTreeMap<Door, UsedBy>), RuleError> {
        let Cluster::Provisioned(facts) = cluster else {
            return Ok((None, BTreeMap::new()));
        };
        let doors = match (self.stage, self.door_users) {
            (Stage::Deployed, DoorUsersLookup::Named) => open_doors(cluster, self.params, self.now),
            _ => Vec::new(),
        };
        // The facts list each CA once.
        let cas: Vec<&String> = if self.params.check_certificate_authority_status {
            facts
                .certificate_authority_arns
                .iter()
                .filter(|arn| !self.cas.contains_key(*arn))
                .collect()
        } else {
            Vec::new()
        };
        let revision = match &facts.configuration {
            BrokerConfiguration::Revision(revision)
                if !self.configurations.contains_key(revision) =>
            {
                Some(revision)
            }
            _ => None,
        };
        let account = self.account;
        let ((healths, read, zookeeper), users) = join(
            join3(
                try_join_all(cas.iter().map(|arn| account.health(arn))),
                async move {
                    match revision {
                        Some(revision) => account.configuration_revision(revision).await.map(Some),
                        None => Ok(None),
                    }
                },
                zookeeper_access(account, self.stage, facts, cluster_arn),
            ),
            door_users(account, &self.listed, cluster_arn, &doors),
        )
        .await;
        for (arn, health) in cas.into_iter().zip(healths?) {
            self.cas.insert(arn.clone(), health);
        }
        if let (Some(revision), Some(read)) = (revision, read?) {
            self.configurations.insert(revision.clone(), read);
        }
        Ok((zookeeper?, self.name_users(users, cluster_arn, &doors)))
    }

    /// Who uses each door, from the listings this invocation holds and `fresh` reads (the
    /// account's listings are kept for the next cluster; its own are not).
    fn name_users(
        &mut self,
        fresh: DoorUsers,
        cluster_arn: &str,
        doors: &[Door],
    ) -> BTreeMap<Door, UsedBy> {
        self.listed.connectors = self.listed.connectors.take().or(fresh.connectors);
        self.listed.replicators = self.listed.replicators.take().or(fresh.replicators);
        self.listed.broker_hosts = fresh.broker_hosts;
        self.listed.vpc_connections = fresh.vpc_connections;
        doors
            .iter()
            .map(|door| (*door, self.listed.of(*door, cluster_arn)))
            .collect()
    }
}

/// The reads that name who uses the doors a cluster has open, beyond what `known` holds: the
/// account's connectors (for unauthenticated access and SASL/IAM) and replicators (SASL/IAM), once
/// per invocation; the cluster's broker hosts, only when a connector of one of its doors may use
/// it (its hosts spell the cluster's name); its clients' VPC connections, only for a multi-VPC SASL
/// door.
async fn door_users<A: Account>(
    account: &A,
    known: &DoorUsers,
    cluster_arn: &str,
    doors: &[Door],
) -> DoorUsers {
    let iam = doors.contains(&Door::Sasl(SaslMechanism::Iam));
    let unauthenticated = doors.contains(&Door::Unauthenticated);
    let multi_vpc = doors
        .iter()
        .any(|door| matches!(door, Door::MultiVpcSasl(_)));
    let connectors = async {
        let fresh = match (&known.connectors, iam || unauthenticated) {
            (None, true) => Some(account.connectors().await),
            _ => None,
        };
        let through_a_door = |connector: &Connector| {
            let door = if connector.iam { iam } else { unauthenticated };
            door && connector.may_use(cluster_arn)
        };
        let hosts = match fresh.as_ref().or(known.connectors.as_ref()) {
            Some(Ok(listed)) if listed.iter().any(through_a_door) => {
                Some(account.broker_hosts(cluster_arn).await)
            }
            _ => None,
        };
        (fresh, hosts)
    };
    let replicators = async {
        match (&known.replicators, iam) {
            (None, true) => Some(account.replicators().await),
            _ => None,
        }
    };
    let vpc_connections = async {
        match multi_vpc {
            true => Some(account.client_vpc_connections(cluster_arn).await),
            false => None,
        }
    };
    let ((connectors, broker_hosts), replicators, vpc_connections) =
        join3(connectors, replicators, vpc_connections).await;
    DoorUsers {
        connectors,
        broker_hosts,
        replicators,
        vpc_connections,
    }
}

/// Whether a ZooKeeper-mode cluster's ZooKeeper is reachable directly, from its operations (one
/// listing); `None` for a cluster without that door.
async fn zookeeper_access<A: Account>(
    account: &A,
    stage: Stage,
    facts: &ClusterFacts,
    cluster_arn: &str,
) -> Result<Option<ZooKeeperAccess>, RuleError> {
    if facts.metadata != Metadata::ZooKeeper {
        return Ok(None);
    }
    Ok(Some(match stage {
        Stage::BeforeDeploy => ZooKeeperAccess::On(OnBecause::NotKnownBeforeDeploy),
        Stage::Deployed => account.zookeeper_changes(cluster_arn).await?.access(),
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
