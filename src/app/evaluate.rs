//! From a parsed event to evaluations, by message type: the item in a change event, the item an
//! oversized notification is about, or every cluster in a sweep (sweep.rs).

use crate::app::delivery::Delivery;
use crate::app::sweep::sweep;
use crate::aws::ports::Account;
use crate::edge::event::{ConfigRuleEvent, Notification};
use crate::edge::item::ConfigurationItem;
use crate::error::RuleError;
use crate::rule::applicability::{applicability, NotApplicable, Subject};
use crate::rule::checks::Finding;
use crate::rule::evaluation::{annotation, ComplianceType, Evaluation, ResourceKey};
use crate::rule::facts::Cluster;
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::{evaluate, CaHealthReport};

/// GetComplianceDetailsByConfigRule takes a rule name of at most 64 characters, although Config
/// lets a rule be named with up to 128.
pub const MAX_RULE_NAME_CHARS: usize = 64;

/// One invocation's evaluations in one account, with the CA health it looked up (each CA once).
pub struct Evaluator<'a, A> {
    pub account: &'a A,
    pub params: &'a RuleParams,
    pub now: Timestamp,
    pub cas: CaHealthReport,
}

impl<A: Account> Evaluator<'_, A> {
    pub async fn run(
        &mut self,
        event: &ConfigRuleEvent,
        out: &mut Delivery<'_, A>,
    ) -> Result<(), RuleError> {
        match &event.notification {
            Notification::Change(item) => {
                let evaluation = self.evaluate_item(item, event.event_left_scope).await?;
                out.push(evaluation).await
            }
            Notification::Oversized(summary) => {
                let evaluation = self
                    .evaluate_oversized(summary, event.event_left_scope)
                    .await?;
                out.push(evaluation).await
            }
            Notification::Scheduled {
                notification_creation_time,
            } => sweep(self, rule_name(event)?, *notification_creation_time, out).await,
        }
    }

    async fn evaluate_item(
        &mut self,
        item: &ConfigurationItem,
        left_scope: bool,
    ) -> Result<Evaluation, RuleError> {
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
        self.judge(&subject, &item.resource_id, item.capture_time, cluster)
            .await
    }

    /// The summary's item, fetched from Config: only the item the notification is about may be
    /// judged, since an older one may hold the settings the change just removed. Failing lets Lambda
    /// retry the event, by when Config has recorded the item.
    async fn evaluate_oversized(
        &mut self,
        summary: &ConfigurationItem,
        left_scope: bool,
    ) -> Result<Evaluation, RuleError> {
        let subject = Subject {
            resource_type: &summary.resource_type,
            presence: summary.presence(),
            left_scope,
            tags: None,
        };
        if let Some(reason) = applicability(&subject, self.params) {
            return Ok(not_applicable(
                &subject,
                &summary.resource_id,
                summary.capture_time,
                &reason,
            ));
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

    /// Applicability first, then the checks: the cluster is read, and its CAs looked up, only for
    /// a resource the checks judge.
    pub(crate) async fn judge(
        &mut self,
        subject: &Subject<'_>,
        resource_id: &str,
        ordering_timestamp: Timestamp,
        cluster: impl FnOnce() -> Result<Cluster, RuleError>,
    ) -> Result<Evaluation, RuleError> {
        self.judge_with_findings(subject, resource_id, ordering_timestamp, cluster)
            .await
            .map(|(evaluation, _)| evaluation)
    }

    /// `judge`, with every finding of the verdict (the annotation may shorten them to fit).
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
fn rule_name(event: &ConfigRuleEvent) -> Result<&str, RuleError> {
    let name = event.config_rule_name.as_deref().ok_or_else(|| {
        RuleError::InvalidEvent(
            "configRuleName is missing: a sweep needs it to find stale results".into(),
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
