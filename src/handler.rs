//! From a Config event to evaluations sent: parameters first, then the message type, then the
//! verdict for each resource, then PutEvaluations in batches with FailedEvaluations retried.

use std::time::Duration;

use aws_sdk_config::primitives::DateTime;
use serde::Serialize;
use serde_json::Value;

use crate::cluster::{Cluster, ClusterFacts};
use crate::error::RuleError;
use crate::evaluation::{annotation, ComplianceType, Evaluation};
use crate::event::{ConfigRuleEvent, ConfigurationItem, ItemStatus, Notification, ResultToken};
use crate::event::{MSK_CLUSTER, MSK_SERVERLESS_CLUSTER};
use crate::params::RuleParams;
use crate::ports::{CertificateAuthorities, ConfigHistory, EvaluationSink};
use crate::verdict::{evaluate, CaHealthReport};

/// PutEvaluations accepts at most 100 evaluations a call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;
/// Attempts at delivering evaluations that Config reported in `FailedEvaluations`.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 3;
const DELIVERY_BACKOFF: Duration = Duration::from_millis(100);

/// Turns events into evaluations; sends nothing.
pub struct Evaluator<H, C> {
    history: H,
    authorities: C,
    now: fn() -> DateTime,
}

impl<H: ConfigHistory, C: CertificateAuthorities> Evaluator<H, C> {
    pub fn new(history: H, authorities: C) -> Self {
        Evaluator {
            history,
            authorities,
            now: || DateTime::from(std::time::SystemTime::now()),
        }
    }

    /// Fixes the clock that CA expiry is measured from (tests).
    pub fn with_clock(mut self, now: fn() -> DateTime) -> Self {
        self.now = now;
        self
    }

    pub async fn evaluations(
        &self,
        event: &ConfigRuleEvent,
        params: &RuleParams,
    ) -> Result<Vec<Evaluation>, RuleError> {
        if params.execution_role_name.is_some() {
            return Err(RuleError::UnsupportedEvent(
                "executionRoleName: cross-account evaluation is not supported yet; leave it empty"
                    .to_owned(),
            ));
        }
        match &event.notification {
            Notification::Change(item) => Ok(vec![
                self.evaluate_item(item, event.event_left_scope, params)
                    .await?,
            ]),
            Notification::Oversized(summary) => {
                if let Some(reason) = not_applicable_reason(summary, event.event_left_scope) {
                    return Ok(vec![not_applicable(summary, reason)]);
                }
                let item = self
                    .history
                    .latest_item(
                        &summary.resource_type,
                        &summary.resource_id,
                        summary.capture_time,
                    )
                    .await?;
                if (item.resource_type.as_str(), item.resource_id.as_str())
                    != (summary.resource_type.as_str(), summary.resource_id.as_str())
                {
                    return Err(RuleError::InvalidEvent(format!(
                        "GetResourceConfigHistory answered for {} {} instead of {} {}",
                        item.resource_type,
                        item.resource_id,
                        summary.resource_type,
                        summary.resource_id
                    )));
                }
                Ok(vec![
                    self.evaluate_item(&item, event.event_left_scope, params)
                        .await?,
                ])
            }
            Notification::Scheduled { .. } => Err(RuleError::UnsupportedEvent(
                "ScheduledNotification: the periodic sweep is not supported yet".to_owned(),
            )),
        }
    }

    async fn evaluate_item(
        &self,
        item: &ConfigurationItem,
        event_left_scope: bool,
        params: &RuleParams,
    ) -> Result<Evaluation, RuleError> {
        if let Some(reason) = not_applicable_reason(item, event_left_scope) {
            return Ok(not_applicable(item, reason));
        }
        let cluster = cluster_from_item(item)?;
        let cas = self.ca_report(&cluster, params).await?;
        let verdict = evaluate(&cluster, params, &cas, (self.now)());
        Ok(Evaluation {
            resource_type: item.resource_type.clone(),
            resource_id: item.resource_id.clone(),
            compliance: verdict.compliance,
            annotation: verdict.annotation(),
            ordering_timestamp: item.capture_time,
        })
    }

    /// Looks up each distinct CA of the cluster once, and only when the rule checks CAs.
    async fn ca_report(
        &self,
        cluster: &Cluster,
        params: &RuleParams,
    ) -> Result<CaHealthReport, RuleError> {
        let mut report = CaHealthReport::new();
        let Cluster::Provisioned(facts) = cluster else {
            return Ok(report);
        };
        if !params.check_certificate_authority_status {
            return Ok(report);
        }
        for arn in &facts.certificate_authority_arns {
            if !report.contains_key(arn) {
                report.insert(arn.clone(), self.authorities.health(arn).await?);
            }
        }
        Ok(report)
    }
}

/// Why an item gets NOT_APPLICABLE before its configuration is even read, if it does.
pub fn not_applicable_reason(item: &ConfigurationItem, event_left_scope: bool) -> Option<String> {
    if event_left_scope {
        return Some("the resource is no longer in the rule's scope".to_owned());
    }
    match item.status {
        ItemStatus::ResourceDeleted | ItemStatus::ResourceDeletedNotRecorded => {
            return Some("the cluster was deleted".to_owned())
        }
        ItemStatus::ResourceNotRecorded => {
            return Some("Config does not record this resource".to_owned())
        }
        ItemStatus::Ok | ItemStatus::ResourceDiscovered => {}
    }
    if item.resource_type != MSK_CLUSTER && item.resource_type != MSK_SERVERLESS_CLUSTER {
        return Some(format!("{} is not an MSK cluster", item.resource_type));
    }
    None
}

fn not_applicable(item: &ConfigurationItem, reason: String) -> Evaluation {
    Evaluation {
        resource_type: item.resource_type.clone(),
        resource_id: item.resource_id.clone(),
        compliance: ComplianceType::NotApplicable,
        annotation: annotation(&[reason]),
        ordering_timestamp: item.capture_time,
    }
}

fn cluster_from_item(item: &ConfigurationItem) -> Result<Cluster, RuleError> {
    if item.resource_type == MSK_SERVERLESS_CLUSTER {
        return Ok(Cluster::Serverless);
    }
    let configuration = item.configuration.clone().ok_or_else(|| {
        RuleError::InvalidEvent(format!(
            "configurationItem.configuration is missing for {} (status {})",
            item.resource_id,
            item.status.as_str()
        ))
    })?;
    let facts = ClusterFacts::from_configuration(configuration, item.tags.keys().cloned())?;
    Ok(Cluster::Provisioned(facts))
}

/// Sends evaluations in batches of 100. Evaluations Config reports in `FailedEvaluations` are sent
/// again; if they still fail, the invocation fails: an evaluation is never dropped silently.
pub async fn send_evaluations<S: EvaluationSink>(
    sink: &S,
    token: &ResultToken,
    evaluations: &[Evaluation],
) -> Result<(), RuleError> {
    for batch in evaluations.chunks(MAX_EVALUATIONS_PER_CALL) {
        let mut pending = batch.to_vec();
        let mut attempt = 1;
        loop {
            let failed = sink.put_evaluations(token, &pending).await?;
            if failed.is_empty() {
                break;
            }
            pending.retain(|evaluation| {
                failed
                    .iter()
                    .any(|(kind, id)| evaluation.key() == (kind.as_str(), id.as_str()))
            });
            if pending.is_empty() || attempt >= MAX_DELIVERY_ATTEMPTS {
                let (kind, id) = &failed[0];
                return Err(RuleError::EvaluationsRejected {
                    count: failed.len(),
                    attempts: attempt,
                    first: format!("{kind} {id}"),
                });
            }
            tokio::time::sleep(DELIVERY_BACKOFF * attempt).await;
            attempt += 1;
        }
    }
    Ok(())
}

/// What an invocation returns to Lambda: counts, so a test or an operator sees what was sent.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationSummary {
    pub evaluations: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
}

impl InvocationSummary {
    pub fn of(evaluations: &[Evaluation]) -> Self {
        let count = |kind| evaluations.iter().filter(|e| e.compliance == kind).count();
        InvocationSummary {
            evaluations: evaluations.len(),
            compliant: count(ComplianceType::Compliant),
            non_compliant: count(ComplianceType::NonCompliant),
            not_applicable: count(ComplianceType::NotApplicable),
        }
    }
}

/// One Lambda invocation: parse, evaluate, log one line per evaluation, send.
pub async fn handle_event<H, C, S>(
    evaluator: &Evaluator<H, C>,
    sink: &S,
    event: Value,
) -> Result<InvocationSummary, RuleError>
where
    H: ConfigHistory,
    C: CertificateAuthorities,
    S: EvaluationSink,
{
    let event = ConfigRuleEvent::from_json(event)?;
    let params = RuleParams::parse(event.rule_parameters.as_deref())?;
    let evaluations = evaluator.evaluations(&event, &params).await?;
    for evaluation in &evaluations {
        tracing::info!(
            resource_type = %evaluation.resource_type,
            resource_id = %evaluation.resource_id,
            compliance = evaluation.compliance.as_str(),
            annotation = evaluation.annotation.as_deref().unwrap_or(""),
            "evaluated"
        );
    }
    send_evaluations(sink, &event.result_token, &evaluations).await?;
    Ok(InvocationSummary::of(&evaluations))
}
