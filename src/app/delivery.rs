//! Where evaluations go as they are made: to Config 100 at a time (the Lambda handler), or kept to
//! be printed (the local command); counted either way.

use std::time::Duration;

use serde::Serialize;

use crate::app::alerts::{message_of, Followed};
use crate::aws::ports::{ConfigService, Message, Notifier};
use crate::edge::event::ResultToken;
use crate::error::RuleError;
use crate::rule::checks::Finding;
use crate::rule::evaluation::{ComplianceType, Evaluation};

/// PutEvaluations accepts at most 100 evaluations a call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;
/// Attempts at delivering evaluations that Config reported in `FailedEvaluations`.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 3;
const DELIVERY_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// PutEvaluations with the event's result token.
    Send,
    /// Kept in memory, for the local command to print; nothing is sent.
    Collect,
}

/// What an invocation returns to Lambda: counts, so a test or an operator sees what was sent.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationSummary {
    pub evaluations: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
    /// Whole days until the soonest expiry among the active CAs looked up, if any was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_days_to_expiry: Option<i64>,
    /// How many of the CAs a sweep looked up are not ACTIVE, missing or unreadable (in the
    /// metrics even when 0, for the CA alarm; in the answer only when some are).
    #[serde(skip_serializing_if = "none_or_zero")]
    pub ca_unhealthy: Option<usize>,
    /// Alerts published.
    #[serde(skip_serializing_if = "is_zero")]
    pub alerts: usize,
    /// For each cluster that turned COMPLIANT again, seconds since it first turned NON_COMPLIANT.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub time_to_remediate_secs: Vec<i64>,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

fn none_or_zero(count: &Option<usize>) -> bool {
    count.unwrap_or_default() == 0
}

impl InvocationSummary {
    pub fn count(&mut self, evaluation: &Evaluation) {
        self.evaluations += 1;
        match evaluation.compliance {
            ComplianceType::Compliant => self.compliant += 1,
            ComplianceType::NonCompliant => self.non_compliant += 1,
            ComplianceType::NotApplicable => self.not_applicable += 1,
        }
    }
}

/// EMF takes at most 100 values for one metric in one line.
const MAX_METRIC_VALUES: usize = 100;

/// Where alerts go: the function's own SNS client and the topic.
pub struct AlertSink<'a, N> {
    pub notifier: &'a N,
    pub topic_arn: &'a str,
}

/// Sends as evaluations come, so a sweep's memory does not grow with the number of clusters; logs
/// one line per evaluation. A batch's alerts are published after the batch reached Config: Config is
/// the record, and a broken topic must never keep a result from it (a held COMPLIANT result would
/// stand for a cluster that is no longer). An alert SNS refuses is logged at ERROR with its cluster
/// and transition, the rest are still published and the sweep goes on; the invocation then fails,
/// naming how many were lost.
pub struct Delivery<'a, C, N> {
    config: &'a C,
    token: &'a ResultToken,
    mode: Mode,
    alerts: Option<AlertSink<'a, N>>,
    pending: Vec<Evaluation>,
    pending_alerts: Vec<Message>,
    /// Each collected evaluation's findings, for `evaluate --explain`.
    findings: Vec<Vec<Finding>>,
    summary: InvocationSummary,
    /// Alerts SNS refused, and the first refusal.
    unpublished: usize,
    first_refusal: Option<RuleError>,
}

impl<'a, C: ConfigService + Sync, N: Notifier> Delivery<'a, C, N> {
    pub fn new(
        config: &'a C,
        token: &'a ResultToken,
        mode: Mode,
        alerts: Option<AlertSink<'a, N>>,
    ) -> Self {
        Delivery {
            config,
            token,
            mode,
            alerts,
            pending: Vec::with_capacity(MAX_EVALUATIONS_PER_CALL),
            pending_alerts: Vec::new(),
            findings: Vec::new(),
            summary: InvocationSummary::default(),
            unpublished: 0,
            first_refusal: None,
        }
    }

    pub async fn push(&mut self, followed: Followed) -> Result<(), RuleError> {
        let Followed {
            evaluation,
            findings,
            alert,
        } = followed;
        tracing::info!(
            resource_type = %evaluation.resource_type,
            resource_id = %evaluation.resource_id,
            compliance = evaluation.compliance.as_str(),
            annotation = evaluation.annotation.as_deref().unwrap_or(""),
            "evaluated"
        );
        self.summary.count(&evaluation);
        if let Some(alert) = alert {
            tracing::info!(
                resource_id = %evaluation.resource_id,
                transition = alert.transition.as_str(),
                "compliance changed"
            );
            if let Some(seconds) = alert.time_to_remediate() {
                if self.summary.time_to_remediate_secs.len() < MAX_METRIC_VALUES {
                    self.summary.time_to_remediate_secs.push(seconds);
                }
            }
            if self.mode == Mode::Send && self.alerts.is_some() {
                self.pending_alerts.push(message_of(&alert));
            }
        }
        if self.mode == Mode::Collect {
            self.findings.push(findings);
        }
        self.pending.push(evaluation);
        if self.mode == Mode::Send && self.pending.len() == MAX_EVALUATIONS_PER_CALL {
            self.flush().await?;
        }
        Ok(())
    }

    /// A message beside the evaluations (the sweep's CA report), published with the next batch.
    pub fn notify(&mut self, message: Message) {
        if self.mode == Mode::Send && self.alerts.is_some() {
            self.pending_alerts.push(message);
        }
    }

    async fn flush(&mut self) -> Result<(), RuleError> {
        send_evaluations(self.config, self.token, &self.pending).await?;
        self.pending.clear();
        let Some(sink) = &self.alerts else {
            return Ok(());
        };
        for message in self.pending_alerts.drain(..) {
            match sink.notifier.publish(sink.topic_arn, &message).await {
                Ok(()) => self.summary.alerts += 1,
                Err(error) => {
                    tracing::error!(
                        subject = %message.subject,
                        attributes = ?message.attributes,
                        error = %error.message(),
                        "alert not published"
                    );
                    self.unpublished += 1;
                    self.first_refusal.get_or_insert(error);
                }
            }
        }
        Ok(())
    }

    /// Sends what is left; returns the counts and, when collecting, the evaluations with their
    /// findings.
    pub async fn finish(
        mut self,
    ) -> Result<(InvocationSummary, Vec<(Evaluation, Vec<Finding>)>), RuleError> {
        match self.mode {
            Mode::Send => {
                self.flush().await?;
                match self.first_refusal {
                    None => Ok((self.summary, Vec::new())),
                    Some(first) => Err(RuleError::aws(
                        "Publish",
                        format!(
                            "{} alert(s) not published, {} published; every evaluation reached \
                             Config. First: {}",
                            self.unpublished,
                            self.summary.alerts,
                            first.message()
                        ),
                    )),
                }
            }
            Mode::Collect => Ok((
                self.summary,
                self.pending.into_iter().zip(self.findings).collect(),
            )),
        }
    }
}

/// Sends evaluations in batches of 100. Evaluations Config reports in `FailedEvaluations` are sent
/// again; if they still fail, the invocation fails: an evaluation is never dropped silently.
pub async fn send_evaluations<C: ConfigService>(
    config: &C,
    token: &ResultToken,
    evaluations: &[Evaluation],
) -> Result<(), RuleError> {
    for batch in evaluations.chunks(MAX_EVALUATIONS_PER_CALL) {
        let mut pending = batch.to_vec();
        let mut attempt = 1;
        loop {
            let failed = config.put_evaluations(token, &pending).await?;
            if failed.is_empty() {
                break;
            }
            pending.retain(|evaluation| failed.iter().any(|key| evaluation.is_about(key)));
            if pending.is_empty() || attempt >= MAX_DELIVERY_ATTEMPTS {
                let first = &failed[0];
                return Err(RuleError::EvaluationsRejected {
                    count: failed.len(),
                    attempts: attempt,
                    first: format!("{} {}", first.resource_type, first.resource_id),
                });
            }
            tokio::time::sleep(DELIVERY_BACKOFF * attempt).await;
            attempt += 1;
        }
    }
    Ok(())
}
