//! Where evaluations go as they are made: to Config 100 at a time (the Lambda handler), or kept to
//! be printed (the local command); counted either way.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::alerts::{message_of, Followed};
use crate::aws::ports::{ConfigService, Message, Notifier};
use crate::edge::event::ResultToken;
use crate::error::RuleError;
use crate::rule::checks::Finding;
use crate::rule::evaluation::{ComplianceType, Evaluation};
use crate::rule::held::{with_alert_pending, Transition};
use crate::rule::verdict::Judgement;

/// PutEvaluations accepts at most 100 evaluations a call.
pub const MAX_EVALUATIONS_PER_CALL: usize = 100;
/// At most this many PutEvaluations calls in flight at once: a sweep's batches go out together
/// without becoming a burst Config throttles (a throttled call backs off, holding its place).
pub const BATCHES_IN_FLIGHT: usize = 4;
/// Attempts at delivering evaluations that Config reported in `FailedEvaluations`.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 3;
const DELIVERY_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// PutEvaluations with the event's result token.
    Send,
    /// Kept in memory, for the local command to print; nothing is sent. The local command may
    /// skip naming door users (its offline samples make no call).
    Collect(DoorUsersLookup),
}

/// Whether the services that use a door a cluster has open (MSK Connect connectors, MSK
/// Replicators, clients' VPC connections) are looked up and named in its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoorUsersLookup {
    Named,
    /// No listing is made (the local command's offline samples): the findings name nobody.
    Skipped,
}

impl Mode {
    /// Whether the services using an open door are looked up: always by the function.
    pub fn door_users(self) -> DoorUsersLookup {
        match self {
            Mode::Send => DoorUsersLookup::Named,
            Mode::Collect(lookup) => lookup,
        }
    }
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
    /// A sweep's largest number of clusters one CA is trusted by (a CA's blast radius), when any
    /// cluster trusts a CA: a metric, left out of the answer.
    #[serde(skip)]
    pub ca_most_clusters: Option<usize>,
    /// How many of the CAs a sweep read let another account issue: a metric, left out of the answer.
    #[serde(skip)]
    pub ca_shared: Option<usize>,
    /// Clusters judged whose authorization is open by default (failed or noted): a metric for
    /// the dashboard, left out of the answer, whose counts are the verdicts'.
    #[serde(skip)]
    pub acl_open_by_default: usize,
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

/// Keeps evaluations as they come and sends them when told, in full batches of 100 (a sweep, as its
/// pages are judged, so its memory does not grow with the number of clusters) and the rest at the
/// end, up to `BATCHES_IN_FLIGHT` calls at once; logs one line per evaluation. Each resource has
/// one evaluation per invocation, so batches in flight together never race for one resource's
/// order. A batch's alerts are published just before the batch goes to Config:
/// Config is the record, and a broken topic never keeps a result from it. An alert SNS refuses is
/// logged at ERROR with its cluster and transition, the rest are still published, and its
/// cluster's result goes to Config marked "alert not sent": the next evaluation of the cluster
/// (Lambda's retry of this invocation, the next sweep or change) finds the mark in the held result
/// and publishes the alert again, so it survives without a store of its own. The invocation then
/// fails, naming how many were refused. An alert published before a batch that Config then refused
/// is published again by the retry, with the same `Alert:` id.
/// An alert waiting for its batch, and the cluster and transition it is about (none for the
/// sweep's CA report).
type Waiting = (Message, Option<(String, Transition)>);

pub struct Delivery<'a, C, N> {
    config: &'a C,
    token: &'a ResultToken,
    mode: Mode,
    /// Where alerts go, and those waiting for their batch; none when collecting.
    alerts: Option<(AlertSink<'a, N>, Vec<Waiting>)>,
    pending: Vec<Evaluation>,
    /// Each collected evaluation's findings and notes, for `evaluate --explain`.
    explained: Vec<(Vec<Finding>, Vec<Finding>)>,
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
            alerts: match mode {
                Mode::Send => alerts.map(|sink| (sink, Vec::new())),
                Mode::Collect(_) => None,
            },
            pending: Vec::with_capacity(MAX_EVALUATIONS_PER_CALL),
            explained: Vec::new(),
            summary: InvocationSummary::default(),
            unpublished: 0,
            first_refusal: None,
        }
    }

    pub fn push(&mut self, followed: Followed) {
        let Followed {
            evaluation,
            findings,
            notes,
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
        if findings
            .iter()
            .chain(&notes)
            .any(Finding::opens_authorization_by_default)
        {
            self.summary.acl_open_by_default += 1;
        }
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
            if let Some((_, waiting)) = &mut self.alerts {
                waiting.push((
                    message_of(&alert),
                    Some((evaluation.resource_id.clone(), alert.transition)),
                ));
            }
        }
        if matches!(self.mode, Mode::Collect(_)) {
            self.explained.push((findings, notes));
        }
        self.pending.push(evaluation);
    }

    /// Sends the full batches of the evaluations kept (none when collecting), keeping the rest.
    pub async fn send_full_batches(&mut self) -> Result<(), RuleError> {
        let full = self.pending.len() / MAX_EVALUATIONS_PER_CALL * MAX_EVALUATIONS_PER_CALL;
        if self.mode != Mode::Send || full == 0 {
            return Ok(());
        }
        let rest = self.pending.split_off(full);
        let batches = std::mem::replace(&mut self.pending, rest);
        self.send(batches).await
    }

    /// A message beside the evaluations (the sweep's CA report), published with the next batch.
    pub fn notify(&mut self, message: Message) {
        if let Some((_, waiting)) = &mut self.alerts {
            waiting.push((message, None));
        }
    }

    /// Publishes the alerts about `evaluations` (and the messages beside them), then sends them.
    async fn send(&mut self, mut evaluations: Vec<Evaluation>) -> Result<(), RuleError> {
        let mut refused: Vec<(String, Transition)> = Vec::new();
        if let Some((sink, waiting)) = &mut self.alerts {
            let sent: HashSet<&str> = evaluations
                .iter()
                .map(|evaluation| evaluation.resource_id.as_str())
                .collect();
            let (now, later): (Vec<Waiting>, Vec<Waiting>) =
                waiting.drain(..).partition(|(_, about)| match about {
                    Some((resource_id, _)) => sent.contains(resource_id.as_str()),
                    None => true,
                });
            *waiting = later;
            for (message, about) in now {
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
                        refused.extend(about);
                    }
                }
            }
        }
        for evaluation in &mut evaluations {
            if let Some((_, transition)) = refused
                .iter()
                .find(|(resource_id, _)| *resource_id == evaluation.resource_id)
            {
                evaluation.annotation = Some(with_alert_pending(
                    evaluation.annotation.as_deref(),
                    *transition,
                ));
            }
        }
        send_evaluations(self.config, self.token, &evaluations).await
    }

    /// Sends what is left; returns the counts and, when collecting, the evaluations with their
    /// findings and notes.
    pub async fn finish(mut self) -> Result<(InvocationSummary, Vec<Judgement>), RuleError> {
        match self.mode {
            Mode::Send => {
                let rest = std::mem::take(&mut self.pending);
                self.send(rest).await?;
                match self.first_refusal {
                    None => Ok((self.summary, Vec::new())),
                    Some(first) => Err(RuleError::aws(
                        "Publish",
                        format!(
                            "{} alert(s) not published, {} published; every evaluation reached \
                             Config, each refused alert marked on its result to be sent again. \
                             First: {}",
                            self.unpublished,
                            self.summary.alerts,
                            first.message()
                        ),
                    )),
                }
            }
            Mode::Collect(_) => Ok((
                self.summary,
                self.pending
                    .into_iter()
                    .zip(self.explained)
                    .map(|(evaluation, (findings, notes))| Judgement {
                        evaluation,
                        findings,
                        notes,
                    })
                    .collect(),
            )),
        }
    }
}

/// Sends evaluations in batches of 100, up to `BATCHES_IN_FLIGHT` at once. Evaluations Config
/// reports in `FailedEvaluations` are sent again; if they still fail, the invocation fails: an
/// evaluation is never dropped silently.
pub async fn send_evaluations<C: ConfigService>(
    config: &C,
    token: &ResultToken,
    evaluations: &[Evaluation],
) -> Result<(), RuleError> {
    stream::iter(evaluations.chunks(MAX_EVALUATIONS_PER_CALL))
        .map(|batch| send_batch(config, token, batch))
        .buffer_unordered(BATCHES_IN_FLIGHT)
        .try_collect()
        .await
}

/// One batch, and again what Config reports in `FailedEvaluations`.
async fn send_batch<C: ConfigService>(
    config: &C,
    token: &ResultToken,
    batch: &[Evaluation],
) -> Result<(), RuleError> {
    let mut pending = batch.to_vec();
    let mut attempt = 1;
    loop {
        let failed = config.put_evaluations(token, &pending).await?;
        if failed.is_empty() {
            return Ok(());
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::alerts::{follow_up, Context};
    use crate::aws::ports::{Held, Page};
    use crate::edge::item::ConfigurationItem;
    use crate::rule::authorization::OpenBecause;
    use crate::rule::evaluation::{ResourceKey, ResourceType};
    use crate::rule::held::HeldResult;
    use crate::rule::time::Timestamp;

    /// Config that takes every evaluation, recording each batch's size.
    #[derive(Default)]
    struct Recorded {
        batches: Mutex<Vec<usize>>,
        published: Mutex<Vec<String>>,
        /// SNS refuses the alerts whose subject contains this.
        refused: Option<&'static str>,
        /// Config reports every evaluation of the next calls in FailedEvaluations, this many times.
        failures: Mutex<u32>,
        /// Every evaluation sent, in order.
        sent: Mutex<Vec<Evaluation>>,
    }

    impl ConfigService for Recorded {
        async fn put_evaluations(
            &self,
            _: &ResultToken,
            batch: &[Evaluation],
        ) -> Result<Vec<ResourceKey>, RuleError> {
            self.batches.lock().unwrap().push(batch.len());
            self.sent.lock().unwrap().extend_from_slice(batch);
            let mut failures = self.failures.lock().unwrap();
            if *failures == 0 {
                return Ok(Vec::new());
            }
            *failures -= 1;
            Ok(batch
                .iter()
                .map(|evaluation| ResourceKey {
                    resource_type: evaluation.resource_type.clone(),
                    resource_id: evaluation.resource_id.clone(),
                })
                .collect())
        }

        async fn latest_item(
            &self,
            _: &ResourceKey,
            _: Timestamp,
        ) -> Result<ConfigurationItem, RuleError> {
            unreachable!("delivery reads nothing")
        }

        async fn evaluated_resources(
            &self,
            _: &str,
            _: Option<String>,
        ) -> Result<Page<Held>, RuleError> {
            unreachable!("delivery reads nothing")
        }

        async fn held_result(
            &self,
            _: &str,
            _: &ResourceKey,
        ) -> Result<Option<HeldResult>, RuleError> {
            unreachable!("delivery reads nothing")
        }
    }

    #[tokio::test]
    async fn failed_evaluations_are_sent_again_after_a_growing_pause_then_fail_the_call() {
        let evaluations = [resolved(0).evaluation];
        let token = ResultToken::new("token");
        let twice = Recorded {
            failures: Mutex::new(MAX_DELIVERY_ATTEMPTS - 1),
            ..Recorded::default()
        };
        let started = std::time::Instant::now();
        send_evaluations(&twice, &token, &evaluations)
            .await
            .unwrap();
        assert!(
            started.elapsed() >= DELIVERY_BACKOFF * 3,
            "pauses of 1 and 2 backoffs: {:?}",
            started.elapsed()
        );
        let always = Recorded {
            failures: Mutex::new(MAX_DELIVERY_ATTEMPTS),
            ..Recorded::default()
        };
        let error = send_evaluations(&always, &token, &evaluations)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                RuleError::EvaluationsRejected {
                    count: 1,
                    attempts: MAX_DELIVERY_ATTEMPTS,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    impl Notifier for Recorded {
        async fn publish(&self, topic_arn: &str, message: &Message) -> Result<(), RuleError> {
            assert_eq!(topic_arn, TOPIC);
            if self
                .refused
                .is_some_and(|refused| message.subject.contains(refused))
            {
                return Err(RuleError::aws("Publish", "AuthorizationError"));
            }
            self.published.lock().unwrap().push(message.subject.clone());
            Ok(())
        }
    }

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:alerts";
    const CONTEXT: Context = Context {
        rule_name: "msk-mtls-enforced",
        account: "123456789012",
        region: "us-east-1",
    };

    /// The `index`th cluster turning COMPLIANT an hour after it turned NON_COMPLIANT.
    fn resolved(index: usize) -> Followed {
        resolved_with(index, Vec::new())
    }

    fn resolved_with(index: usize, notes: Vec<Finding>) -> Followed {
        let held = HeldResult {
            compliance: ComplianceType::NonCompliant,
            annotation: Some(
                "unauthenticated access is enabled (since 1970-01-01T00:00:00Z)".into(),
            ),
        };
        let evaluation = Evaluation {
            resource_type: ResourceType::MskCluster,
            resource_id: format!("arn:aws:kafka:us-east-1:123456789012:cluster/c{index}/uuid-5"),
            compliance: ComplianceType::Compliant,
            annotation: None,
            ordering_timestamp: Timestamp::from_secs(3_600),
        };
        let judgement = Judgement {
            evaluation,
            findings: Vec::new(),
            notes,
        };
        follow_up(Some(&held), judgement, None, &[], &CONTEXT)
    }

    /// The dashboard's count of clusters open by default takes noted and failing ones alike.
    #[tokio::test]
    async fn clusters_whose_authorization_is_open_by_default_are_counted_noted_or_failed() {
        let recorded = Recorded::default();
        let token = ResultToken::new("token");
        let mut delivery: Delivery<Recorded, Recorded> = Delivery::new(
            &recorded,
            &token,
            Mode::Collect(DoorUsersLookup::Named),
            None,
        );
        let open = || Finding::AuthorizationOpenByDefault(OpenBecause::PropertyTrue);
        delivery.push(resolved_with(0, vec![open()]));
        delivery.push(resolved(1));
        let mut failed = resolved(2);
        failed.findings = vec![Finding::UnauthenticatedAccess(Default::default()), open()];
        delivery.push(failed);
        let (summary, collected) = delivery.finish().await.unwrap();
        assert_eq!(summary.acl_open_by_default, 2);
        assert_eq!(collected[0].notes, vec![open()]);
    }

    async fn deliver(
        mode: Mode,
        with_topic: bool,
        count: usize,
    ) -> (Recorded, InvocationSummary, usize) {
        let recorded = Recorded::default();
        let token = ResultToken::new("token");
        let sink = with_topic.then_some(AlertSink {
            notifier: &recorded,
            topic_arn: TOPIC,
        });
        let mut delivery = Delivery::new(&recorded, &token, mode, sink);
        for index in 0..count {
            delivery.push(resolved(index));
            delivery.send_full_batches().await.unwrap();
        }
        let (summary, collected) = delivery.finish().await.unwrap();
        (recorded, summary, collected.len())
    }

    #[tokio::test]
    async fn alerts_go_out_after_their_batch_and_time_to_remediate_keeps_to_emfs_limit() {
        let (recorded, summary, collected) = deliver(Mode::Send, true, 101).await;
        assert_eq!(collected, 0);
        assert_eq!(*recorded.batches.lock().unwrap(), [100, 1]);
        assert_eq!(recorded.published.lock().unwrap().len(), 101);
        assert_eq!(summary.alerts, 101);
        assert_eq!(
            summary.time_to_remediate_secs,
            vec![3_600; MAX_METRIC_VALUES]
        );
        assert_eq!(summary.compliant, 101);
    }

    /// A sweep sends the full batches as its pages are judged: each batch's alerts go out just
    /// before it, the rest wait with their evaluations, and nothing is sent in part.
    #[tokio::test]
    async fn full_batches_go_out_with_their_own_alerts_and_the_rest_waits_for_the_end() {
        let recorded = Recorded::default();
        let token = ResultToken::new("token");
        let sink = AlertSink {
            notifier: &recorded,
            topic_arn: TOPIC,
        };
        let mut delivery = Delivery::new(&recorded, &token, Mode::Send, Some(sink));
        for index in 0..250 {
            delivery.push(resolved(index));
        }
        delivery.send_full_batches().await.unwrap();
        assert_eq!(*recorded.batches.lock().unwrap(), [100, 100]);
        let published = recorded.published.lock().unwrap().clone();
        assert_eq!(published.len(), 200, "only the alerts of the batches sent");
        let waiting = (200..250).map(|index| format!("MSK cluster c{index} enforces"));
        for subject in waiting {
            assert!(
                !published.iter().any(|sent| sent.starts_with(&subject)),
                "{subject}"
            );
        }
        delivery.send_full_batches().await.unwrap();
        assert_eq!(
            recorded.batches.lock().unwrap().len(),
            2,
            "50 are no batch yet"
        );
        let (summary, _) = delivery.finish().await.unwrap();
        assert_eq!(*recorded.batches.lock().unwrap(), [100, 100, 50]);
        assert_eq!(summary.alerts, 250);
    }

    #[tokio::test]
    async fn nothing_is_published_without_a_topic_and_nothing_sent_when_collecting() {
        for (mode, with_topic, batches, kept) in [
            (Mode::Send, false, vec![100, 1], 0),
            (Mode::Collect(DoorUsersLookup::Named), true, vec![], 101),
        ] {
            let (recorded, summary, collected) = deliver(mode, with_topic, 101).await;
            assert_eq!(*recorded.batches.lock().unwrap(), batches, "{mode:?}");
            assert_eq!(collected, kept, "{mode:?}");
            assert!(recorded.published.lock().unwrap().is_empty(), "{mode:?}");
            assert_eq!(summary.alerts, 0);
            assert_eq!(summary.evaluations, 101);
        }
    }
    #[test]
    fn the_answer_to_lambda_leaves_out_what_did_not_happen() {
        assert_eq!(
            serde_json::to_value(InvocationSummary {
                ca_unhealthy: Some(0),
                ..InvocationSummary::default()
            })
            .unwrap(),
            json!({"evaluations": 0, "compliant": 0, "nonCompliant": 0, "notApplicable": 0})
        );
        assert_eq!(
            serde_json::to_value(InvocationSummary {
                evaluations: 3,
                compliant: 1,
                non_compliant: 1,
                not_applicable: 1,
                ca_days_to_expiry: Some(-2),
                ca_unhealthy: Some(2),
                ca_most_clusters: Some(5),
                ca_shared: Some(1),
                acl_open_by_default: 4,
                alerts: 1,
                time_to_remediate_secs: vec![7_200],
            })
            .unwrap(),
            json!({"evaluations": 3, "compliant": 1, "nonCompliant": 1, "notApplicable": 1,
                   "caDaysToExpiry": -2, "caUnhealthy": 2, "alerts": 1,
                   "timeToRemediateSecs": [7200]})
        );
    }
    #[tokio::test]
    async fn a_message_beside_the_evaluations_goes_with_the_batch_and_a_refusal_fails_at_the_end() {
        let ca_report = Message {
            subject: "Private CAs of MSK clusters need attention in 123456789012".into(),
            body: "CA ca/off: it is DISABLED, not ACTIVE.".into(),
            attributes: vec![("event".into(), "ca-health".into())],
        };
        for refused in [None, Some("cluster c1 ")] {
            let recorded = Recorded {
                refused,
                ..Recorded::default()
            };
            let token = ResultToken::new("token");
            let sink = AlertSink {
                notifier: &recorded,
                topic_arn: TOPIC,
            };
            let mut delivery = Delivery::new(&recorded, &token, Mode::Send, Some(sink));
            for index in 0..3 {
                delivery.push(resolved(index));
            }
            delivery.notify(ca_report.clone());
            let finished = delivery.finish().await;
            let published = recorded.published.lock().unwrap().clone();
            assert_eq!(
                *recorded.batches.lock().unwrap(),
                [3],
                "every evaluation reached Config"
            );
            assert!(published.contains(&ca_report.subject), "{published:?}");
            match refused {
                None => assert_eq!(finished.unwrap().0.alerts, 4),
                Some(_) => {
                    assert_eq!(published.len(), 3, "the others still went out");
                    // Only the refused alert's cluster is marked, to be alerted again.
                    let annotations: Vec<Option<String>> = recorded
                        .sent
                        .lock()
                        .unwrap()
                        .iter()
                        .map(|evaluation| evaluation.annotation.clone())
                        .collect();
                    assert_eq!(
                        annotations,
                        [None, Some("[alert not sent: resolved]".to_owned()), None]
                    );
                    let error = finished.unwrap_err().to_string();
                    assert!(
                        error.contains("1 alert(s) not published, 3 published"),
                        "{error}"
                    );
                    assert!(error.contains("AuthorizationError"), "{error}");
                }
            }
        }
    }
}
