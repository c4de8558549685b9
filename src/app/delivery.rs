//! Where evaluations go as they are made: to Config 100 at a time (the Lambda handler), or kept to
//! be printed (the local command); counted either way.

use std::time::Duration;

use serde::Serialize;

use crate::aws::ports::ConfigService;
use crate::edge::event::ResultToken;
use crate::error::RuleError;
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

/// Sends as evaluations come, so a sweep's memory does not grow with the number of clusters; logs
/// one line per evaluation.
pub struct Delivery<'a, C> {
    config: &'a C,
    token: &'a ResultToken,
    mode: Mode,
    pending: Vec<Evaluation>,
    summary: InvocationSummary,
}

impl<'a, C: ConfigService + Sync> Delivery<'a, C> {
    pub fn new(config: &'a C, token: &'a ResultToken, mode: Mode) -> Self {
        Delivery {
            config,
            token,
            mode,
            pending: Vec::with_capacity(MAX_EVALUATIONS_PER_CALL),
            summary: InvocationSummary::default(),
        }
    }

    pub async fn push(&mut self, evaluation: Evaluation) -> Result<(), RuleError> {
        tracing::info!(
            resource_type = %evaluation.resource_type,
            resource_id = %evaluation.resource_id,
            compliance = evaluation.compliance.as_str(),
            annotation = evaluation.annotation.as_deref().unwrap_or(""),
            "evaluated"
        );
        self.summary.count(&evaluation);
        self.pending.push(evaluation);
        if self.mode == Mode::Send && self.pending.len() == MAX_EVALUATIONS_PER_CALL {
            send_evaluations(self.config, self.token, &self.pending).await?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Sends what is left; returns the counts and, when collecting, the evaluations.
    pub async fn finish(self) -> Result<(InvocationSummary, Vec<Evaluation>), RuleError> {
        match self.mode {
            Mode::Send => {
                send_evaluations(self.config, self.token, &self.pending).await?;
                Ok((self.summary, Vec::new()))
            }
            Mode::Collect => Ok((self.summary, self.pending)),
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
