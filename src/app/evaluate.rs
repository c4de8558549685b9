//! From a parsed event to evaluations: the item in a change event, or the item an oversized
//! notification is about; a sweep (sweep.rs) judges every cluster with the same evaluator.

use std::collections::BTreeMap;

use crate::alerts::{follow_up, Context, Followed};
use crate::app::delivery::Delivery;
use crate::aws::ports::{Account, Notifier};
use crate::edge::event::ConfigRuleEvent;
use crate::edge::item::ConfigurationItem;
use crate::edge::kafka::ListedCluster;
use crate::error::RuleError;
use crate::rule::applicability::{applicability, NotApplicable, Presence, Subject};
use crate::rule::ca::CaHealthReport;
use crate::rule::checks::Finding;
use crate::rule::evaluation::{annotation, ComplianceType, Evaluation, ResourceKey};
use crate::rule::facts::Cluster;
use crate::rule::held::HeldResult;
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::evaluate;

/// GetComplianceDetailsByConfigRule takes a rule name of at most 64 characters, although Config
/// lets a rule be named with up to 128.
pub const MAX_RULE_NAME_CHARS: usize = 64;

/// One invocation's evaluations in one account, with the CA health it looked up (each CA once).
pub struct Evaluator<'a, A> {
    pub account: &'a A,
    pub params: &'a RuleParams,
    pub now: Timestamp,
    pub cas: CaHealthReport,
    pub follow: Follow<'a>,
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
            follow: Follow::none(),
        }
    }
}

/// An evaluation with every finding, and the resource's tags where known.
pub struct Judged {
    pub evaluation: Evaluation,
    pub findings: Vec<Finding>,
    pub tags: Option<BTreeMap<String, String>>,
}

impl<A: Account> Evaluator<'_, A> {
    /// A change event's item, judged, followed up and handed to `out`.
    pub async fn run_change<N: Notifier>(
        &mut self,
        event: &ConfigRuleEvent,
        item: &ConfigurationItem,
        out: &mut Delivery<'_, A, N>,
    ) -> Result<(), RuleError> {
        let judged = self.evaluate_item(item, event.event_left_scope).await?;
        self.push(event, judged, out).await
    }

    /// The item an oversized notification is about, judged, followed up and handed to `out`.
    pub async fn run_oversized<N: Notifier>(
        &mut self,
        event: &ConfigRuleEvent,
        summary: &ConfigurationItem,
        out: &mut Delivery<'_, A, N>,
    ) -> Result<(), RuleError> {
        let judged = self
            .evaluate_oversized(summary, event.event_left_scope)
            .await?;
        self.push(event, judged, out).await
    }

    async fn push<N: Notifier>(
        &self,
        event: &ConfigRuleEvent,
        judged: Judged,
        out: &mut Delivery<'_, A, N>,
    ) -> Result<(), RuleError> {
        // Another resource type (a tag-scoped rule is sent every tagged resource) is never
        // NON_COMPLIANT, so it has no transition to find.
        let held = if self.follow.read_held && judged.evaluation.resource_type.is_msk_cluster() {
            let key = ResourceKey {
                resource_type: judged.evaluation.resource_type.clone(),
                resource_id: judged.evaluation.resource_id.clone(),
            };
            self.account.held_result(rule_name(event)?, &key).await?
        } else {
            None
        };
        out.push(self.follow_up(
            held.as_ref(),
            judged.evaluation,
            judged.findings,
            judged.tags.as_ref(),
        ))
        .await
    }

    /// The clock, the transition and the alert of an evaluation, from the result held before it.
    pub(crate) fn follow_up(
        &self,
        held: Option<&HeldResult>,
        evaluation: Evaluation,
        findings: Vec<Finding>,
        tags: Option<&BTreeMap<String, String>>,
    ) -> Followed {
        follow_up(
            held,
            evaluation,
            findings,
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
        let (evaluation, findings) = self
            .judge_with_findings(&subject, &item.resource_id, item.capture_time, cluster)
            .await?;
        Ok(Judged {
            evaluation,
            findings,
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
                evaluation: not_applicable(
                    &subject,
                    &summary.resource_id,
                    summary.capture_time,
                    &reason,
                ),
                findings: Vec::new(),
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
    ) -> Result<(Evaluation, Vec<Finding>), RuleError> {
        let subject = Subject {
            resource_type: &listed.resource_type,
            presence: Presence::Present,
            left_scope: false,
            tags: Some(&listed.tags),
        };
        self.judge_with_findings(&subject, &listed.arn, ordering_timestamp, || {
            Ok(listed.cluster)
        })
        .await
    }

    /// Applicability first, then the checks: the cluster is read, and its CAs looked up, only for
    /// a resource the checks judge. Every finding of the verdict comes back beside the evaluation
    /// (the annotation may shorten them to fit).
    pub(crate) async fn judge_with_findings(
        &mut self,
        subject: &Subject<'_>,
        resource_id: &str,
        ordering_timestamp: Timestamp,
        cluster: impl FnOnce() -> Result<Cluster, RuleError>,
    ) -> Result<(Evaluation, Vec<Finding>), RuleError> {
        if let Some(reason) = applicability(subject, self.params) {
            let evaluation = not_applicable(subject, resource_id, ordering_timestamp, &reason);
            return Ok((evaluation, Vec::new()));
        }
        let cluster = cluster()?;
        self.look_up_cas(&cluster).await?;
        let verdict = evaluate(&cluster, self.params, &self.cas, self.now);
        let evaluation = Evaluation {
            resource_type: subject.resource_type.clone(),
            resource_id: resource_id.to_owned(),
            compliance: verdict.compliance,
            annotation: verdict.annotation(),
            ordering_timestamp,
        };
        Ok((evaluation, verdict.findings))
    }

    /// Adds the health of the cluster's CAs to the invocation's report, looking up each CA once
    /// per invocation, and only when the rule checks CAs.
    async fn look_up_cas(&mut self, cluster: &Cluster) -> Result<(), RuleError> {
        let Cluster::Provisioned(facts) = cluster else {
            return Ok(());
        };
        if !self.params.check_certificate_authority_status {
            return Ok(());
        }
        for arn in &facts.certificate_authority_arns {
            if !self.cas.contains_key(arn) {
                let health = self.account.health(arn).await?;
                self.cas.insert(arn.clone(), health);
            }
        }
        Ok(())
    }
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
