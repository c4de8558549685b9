//! The Lambda functions: the Runtime API loops of the Config rule and the CloudFormation hook
//! (`msk-mtls-rule-lambda`) and of the scheduled probe (`msk-mtls-rule-probe`); the deadlines; the
//! metrics lines. Settings are read once, at start ([`settings`]).

pub mod metrics;
pub mod settings;

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

use crate::alerts::rotation::rotation_alert;
use crate::alerts::Context;
use crate::app::access::account_of_function_arn;
use crate::app::delivery::Mode;
use crate::app::hook::{answer_hook, HookResponse};
use crate::app::rejections::{Attribution, LogGroupCache, Rejections};
use crate::app::rotation::{watch_ca, RotationSettings, Watched, REPORT_WAIT};
use crate::app::scheduled_probe::{
    clusters_to_probe, parse_probe_event, probe_clusters, send_findings,
};
use crate::app::{invoke, Outcome, Trigger};
use crate::aws::ports::Notifier;
use crate::aws::sdk::AwsAccount;
use crate::edge::broker_log::{subscription_event, LogBatch, MessageType};
use crate::edge::hook::{hook_payload, token_of};
use crate::edge::json::Json;
use crate::error::{exit, RuleError};
use crate::findings::send::HubDelivery;
use crate::lambda::settings::{Handler, Settings};
use crate::logging;
use crate::probe::ProbeReport;
use crate::rule::ca::{ca_account, TrustedBy};
use crate::rule::rotation::SweepFigures;
use crate::rule::time::Timestamp;

/// CloudFormation waits 30 s for a hook's answer: a hook request is answered within 25.
const HOOK_BUDGET_MS: u64 = 25_000;

/// Time kept back from the Lambda deadline to report a clear timeout instead of being killed.
const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// Time kept back from the Lambda deadline by the scheduled probe, to write every cluster's metrics
/// line (the unfinished ones as inconclusive) and answer.
const PROBE_DEADLINE_MARGIN: Duration = Duration::from_millis(1_000);

/// Time kept back besides, when the findings are sent to Security Hub: the probe's earlier
/// findings read, then the imports, paced and backed off when throttled (at most 7 s).
const FINDINGS_BUDGET: Duration = Duration::from_secs(20);

/// The Config rule's and the hook's process (`msk-mtls-rule-lambda`), until Lambda stops it.
pub fn main_rule() -> ExitCode {
    run(Handler::Rule, |settings| async move {
        serve_rule(&AwsAccount::load().await, &settings).await
    })
}

/// The scheduled probe's process (`msk-mtls-rule-probe`), until Lambda stops it.
pub fn main_probe() -> ExitCode {
    run(Handler::Probe, |settings| async move {
        serve_probe(&AwsAccount::load().await, &settings).await
    })
}

/// Settings and logging from the environment, then `serve` on a one-thread runtime; a handler
/// named in the environment that this binary does not serve is refused before anything starts.
fn run<Served>(handler: Handler, serve: impl FnOnce(Settings) -> Served) -> ExitCode
where
    Served: Future<Output = Result<(), lambda_runtime::Error>>,
{
    let env = |name: &str| std::env::var(name).ok();
    if let Err(message) = handler.served_with(env) {
        eprintln!("{}: {message}", handler.binary());
        return ExitCode::from(exit::USAGE_OR_UNREADABLE_INPUT);
    }
    let settings = Settings::from_variables(env);
    logging::init_lambda(settings.log_level, settings.json_logs);
    let served = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(lambda_runtime::Error::from)
        .and_then(|runtime| runtime.block_on(serve(settings)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}: {error}", handler.binary());
            ExitCode::from(exit::COULD_NOT_FINISH)
        }
    }
}

/// Serves the Config rule and the hook, with clients built during init.
async fn serve_rule(aws: &AwsAccount, settings: &Settings) -> Result<(), lambda_runtime::Error> {
    let log_groups = &tokio::sync::Mutex::new(LogGroupCache::default());
    // The payload is taken raw: the event parser then reports any payload (even JSON nested past
    // serde's depth limit) as InvalidEvent, never as the runtime's own deserializer error.
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            if let Some(batch) = subscription_event(event.payload.get()) {
                let batch = batch.map_err(|error| RuleError::InvalidEvent(error.to_string()))?;
                let mut cache = log_groups.lock().await;
                return count_rejections(aws, settings, &event, batch, &mut cache).await;
            }
            if let Some(payload) = hook_payload(event.payload.get()) {
                return Ok(
                    answer_hook_within(aws, settings, &payload, event.context.deadline).await,
                );
            }
            let outcome = answer_rule(aws, settings, &event).await?;
            let now = Timestamp::now();
            if let Some(line) = metrics_line(settings, now, &outcome) {
                println!("{line}");
            }
            if let (Trigger::Scheduled, Some(rotation)) = (outcome.trigger, settings.rotation()?) {
                let watching = watch_rotations(aws, settings, rotation, &event, &outcome);
                within_deadline(event.context.deadline, now.millis() as u64, watching).await?;
            }
            Ok::<serde_json::Value, RuleError>(
                serde_json::to_value(outcome.summary).unwrap_or_default(),
            )
        },
    ))
    .await
}

/// A subscription event from a broker log group: its refusals counted, by cluster, into the
/// metrics, with the addresses refused most in the log (never a certificate: the lines hold none).
async fn count_rejections(
    aws: &AwsAccount,
    settings: &Settings,
    event: &LambdaEvent<Box<RawValue>>,
    batch: LogBatch,
    cache: &mut LogGroupCache,
) -> Result<serde_json::Value, RuleError> {
    let own_account = own_account(event)?;
    let counting = Rejections::of(batch, own_account, aws, cache, std::time::Instant::now());
    let rejections = within_deadline(
        event.context.deadline,
        Timestamp::now().millis() as u64,
        counting,
    )
    .await?;
    let answer = rejections.to_json();
    match &rejections.attribution {
        Attribution::Shared(clusters) => tracing::warn!(
            log_group = %rejections.batch.log_group, ?clusters,
            "several clusters log to this group: its refusals are counted by LogGroup, not by cluster \
             (give each cluster a group of its own)"
        ),
        Attribution::NoCluster if rejections.tally().lines > 0 => tracing::warn!(
            log_group = %rejections.batch.log_group, owner = %rejections.batch.owner,
            "no cluster of this account and region logs to this group: its refusals are counted by LogGroup"
        ),
        _ => {}
    }
    tracing::info!(event = "broker-rejections", counted = %answer, "refusals counted from the brokers' log");
    // A control message (the subscription checking it can invoke the function) counts nothing.
    let data = rejections.batch.message_type == MessageType::Data;
    if data && !settings.namespace.is_empty() {
        let level = settings.log_level.metrics_level();
        println!(
            "{}",
            metrics::rejections_line(
                &settings.namespace,
                &rejections,
                Timestamp::now(),
                level.as_str()
            )
        );
    }
    Ok(answer)
}

/// After a sweep, the client certificates of each CA the clusters trust, from the CA's audit
/// report (CAs of the function's own account: a report is written only for its CA's owner): a
/// metrics line and a log line per CA, and an alert when an identity turned due or missed since
/// the last sweep. A CA whose report was not read is said so (an error, or a warning while its
/// first report is written), never counted as having none due.
async fn watch_rotations(
    aws: &AwsAccount,
    settings: &Settings,
    rotation: &RotationSettings,
    event: &LambdaEvent<Box<RawValue>>,
    outcome: &Outcome,
) -> Result<(), RuleError> {
    let own_account = own_account(event)?;
    let alerts = settings.alerts()?;
    let now = Timestamp::now();
    let since = Timestamp::from_secs(now.secs() - rotation.sweep_period_secs);
    let own_cas = own_cas(&outcome.trusted_by, own_account);
    let watched = futures_util::future::join_all(
        own_cas
            .iter()
            .map(|ca| async move { (*ca, watch_ca(aws, rotation, ca, now, REPORT_WAIT).await) }),
    )
    .await;
    let context = Context {
        rule_name: outcome.rule_name.as_deref().unwrap_or_default(),
        account: own_account,
        region: &alerts.region,
    };
    for (ca_arn, watched) in watched {
        let figures = report_watched(ca_arn, &watched, since, now, rotation.due_days);
        rotation_metrics(settings, ca_arn, figures.as_ref(), now);
        let (
            Watched::Judged {
                report, rotations, ..
            },
            Some(figures),
            Some(topic),
        ) = (&watched, figures, alerts.topic_arn.as_deref())
        else {
            continue;
        };
        if let Some(alert) = rotation_alert(ca_arn, rotations, &figures, report.written, &context) {
            aws.publish(topic, &alert).await?;
        }
    }
    Ok(())
}

/// The CAs of the function's own account among those the clusters trust; the others are named in
/// a warning (a report is written only for the CA's owner).
fn own_cas<'a>(trusted_by: &'a TrustedBy, own_account: &str) -> Vec<&'a String> {
    let (own, other): (Vec<&String>, Vec<&String>) = trusted_by
        .keys()
        .partition(|ca| ca_account(ca) == Some(own_account));
    if !other.is_empty() {
        tracing::warn!(
            cas = ?other,
            "client certificates not watched for CAs of other accounts: deploy the rule with an \
             AuditReportBucket in each CA's account"
        );
    }
    own
}

/// One CA's rotation metrics line, unless the metrics are off.
fn rotation_metrics(
    settings: &Settings,
    ca_arn: &str,
    figures: Option<&SweepFigures>,
    now: Timestamp,
) {
    if settings.namespace.is_empty() {
        return;
    }
    let ca_id = ca_arn.rsplit('/').next().unwrap_or(ca_arn);
    let level = settings.log_level.metrics_level();
    println!(
        "{}",
        metrics::rotation_line(&settings.namespace, ca_id, figures, now, level.as_str())
    );
}

/// One CA's rotations in the log, and its sweep figures (`None`: not judged).
fn report_watched(
    ca_arn: &str,
    watched: &Watched,
    since: Timestamp,
    now: Timestamp,
    due_days: i64,
) -> Option<SweepFigures> {
    match watched {
        Watched::Judged {
            report,
            certificates,
            rotations,
            newer_requested,
        } => {
            let figures = SweepFigures::of(rotations, since, now, due_days);
            tracing::info!(
                event = "certificate-rotations", ca = %ca_arn, report = %report.key,
                written = %report.written, certificates, due = figures.due,
                missed = figures.missed, lapses_since_last_sweep = figures.lapses_since,
                newer_requested, "client certificates' rotations read from the CA's audit report"
            );
            Some(figures)
        }
        Watched::Waiting => {
            tracing::warn!(
                ca = %ca_arn,
                "client certificates not judged yet: the CA has no audit report in the bucket; one \
                 was asked for, and the next sweep reads it"
            );
            None
        }
        Watched::Unread(error) => {
            tracing::error!(ca = %ca_arn, error = %error.message(), "client certificates not judged: the CA's audit report could not be read");
            None
        }
    }
}

/// The account of the invoked function, which every call is made in.
fn own_account(event: &LambdaEvent<Box<RawValue>>) -> Result<&str, RuleError> {
    account_of_function_arn(&event.context.invoked_function_arn).ok_or_else(|| {
        RuleError::InvalidEvent(format!(
            "the invoked function ARN {:?} names no account",
            event.context.invoked_function_arn
        ))
    })
}

/// The hook's answer, always one CloudFormation can read: a failure or the deadline is an
/// internal failure naming it.
async fn answer_hook_within(
    aws: &AwsAccount,
    settings: &Settings,
    payload: &Json,
    lambda_deadline_ms: u64,
) -> serde_json::Value {
    let now = Timestamp::now();
    let deadline = hook_deadline(lambda_deadline_ms, now.millis() as u64);
    // Boxed: beside the rule's invocation, the nested futures' layout outgrows the compiler's
    // default query depth in release builds.
    let answer = Box::pin(answer_hook(
        aws,
        payload,
        settings.hook_parameters.as_deref(),
        now,
    ));
    let response = within_deadline(deadline, now.millis() as u64, async { Ok(answer.await) })
        .await
        .unwrap_or_else(|error| {
            HookResponse::internal_failure(token_of(payload), &error.message())
        });
    serde_json::to_value(response).unwrap_or_default()
}

/// One Config rule invocation, sent, before the deadline.
async fn answer_rule(
    aws: &AwsAccount,
    settings: &Settings,
    event: &LambdaEvent<Box<RawValue>>,
) -> Result<Outcome, RuleError> {
    let own_account = own_account(event)?;
    let alerts = settings.alerts()?;
    settings.rotation()?;
    let now = Timestamp::now();
    let invocation = invoke(
        aws,
        event.payload.get(),
        Some(own_account),
        Mode::Send,
        alerts,
        now,
    );
    within_deadline(event.context.deadline, now.millis() as u64, invocation).await
}

/// Serves the scheduled probe: each event names clusters (or asks for them to be listed), each is
/// probed with the system's roots until the deadline, one metrics line per cluster and one per
/// invocation are written, and with `SECURITY_HUB_FINDINGS` the findings are sent. A cluster that
/// cannot be probed counts as inconclusive; the invocation fails on a malformed event, an invalid
/// setting, a listing that cannot be read, or a finding not sent.
async fn serve_probe(aws: &AwsAccount, settings: &Settings) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let probe_settings = settings.probe()?;
            let clusters = parse_probe_event(&event.payload).map_err(RuleError::InvalidEvent)?;
            let now = Timestamp::now();
            let (started, lambda_deadline) = (tokio::time::Instant::now(), event.context.deadline);
            let margin = probing_margin(probe_settings.security_hub);
            let deadline = probe_deadline(started, lambda_deadline, now.millis() as u64, margin);
            let arns = tokio::time::timeout_at(deadline, clusters_to_probe(aws, &clusters))
                .await
                .map_err(|_| {
                    RuleError::aws(
                        "ListClustersV2",
                        "not listed before the function's deadline",
                    )
                })??;
            let reports = probe_clusters(aws, &arns, probe_settings, deadline).await;
            for line in probe_metrics_lines(settings, &reports, now) {
                println!("{line}");
            }
            if probe_settings.security_hub {
                let sending =
                    send_findings(aws, &event.context.invoked_function_arn, &reports, now);
                let until = probe_deadline(
                    started,
                    lambda_deadline,
                    now.millis() as u64,
                    PROBE_DEADLINE_MARGIN,
                );
                let deliveries = tokio::time::timeout_at(until, sending).await;
                said_to_security_hub(deliveries.as_deref().map_err(|_| ()))?;
            }
            let reports: Vec<_> = reports.iter().map(ProbeReport::to_json).collect();
            Ok::<serde_json::Value, RuleError>(serde_json::json!({ "clusters": reports }))
        },
    ))
    .await
}

/// What became of the run's findings, in the log; an error naming what was not sent (the
/// function's Errors alarm), or that the deadline came first (`Err(())`).
fn said_to_security_hub(deliveries: Result<&[HubDelivery], ()>) -> Result<(), RuleError> {
    let Ok(deliveries) = deliveries else {
        return Err(RuleError::aws(
            "BatchImportFindings",
            "the findings were not sent before the function's deadline",
        ));
    };
    let mut not_sent = Vec::new();
    for delivery in deliveries {
        let lines = delivery.lines("probe");
        if delivery.complete() {
            tracing::info!(event = "security-hub", "{}", lines.join("; "));
        } else {
            tracing::warn!(event = "security-hub", "{}", lines.join("; "));
            not_sent.extend(lines);
        }
    }
    if not_sent.is_empty() {
        return Ok(());
    }
    Err(RuleError::aws("BatchImportFindings", not_sent.join("; ")))
}

/// How long before Lambda's deadline the knocking stops: time to write the metrics lines, and to
/// send the findings when they are sent.
fn probing_margin(sends_findings: bool) -> Duration {
    if sends_findings {
        PROBE_DEADLINE_MARGIN + FINDINGS_BUDGET
    } else {
        PROBE_DEADLINE_MARGIN
    }
}

/// When the scheduled probe stops: `margin` before Lambda's deadline (epoch
/// milliseconds), on the clock of `now` (the same moment as `now_ms`); at once when that has passed.
fn probe_deadline(
    now: tokio::time::Instant,
    lambda_deadline_ms: u64,
    now_ms: u64,
    margin: Duration,
) -> tokio::time::Instant {
    now + Duration::from_millis(
        lambda_deadline_ms
            .saturating_sub(now_ms)
            .saturating_sub(margin.as_millis() as u64),
    )
}

/// The scheduled probe's EMF lines: one per cluster, then the run's heartbeat; none when the
/// metrics are off (an empty namespace).
fn probe_metrics_lines(
    settings: &Settings,
    reports: &[ProbeReport],
    now: Timestamp,
) -> Vec<String> {
    if settings.namespace.is_empty() {
        return Vec::new();
    }
    let level = settings.log_level.metrics_level();
    reports
        .iter()
        .map(|report| metrics::probe_line(&settings.namespace, report, now, level.as_str()))
        .chain([metrics::probe_run_line(
            &settings.namespace,
            reports.len(),
            now,
            level.as_str(),
        )])
        .collect()
}

/// A hook request's deadline (epoch milliseconds): Lambda's, or `HOOK_BUDGET_MS` from now when that
/// comes first, so CloudFormation hears an answer before it stops waiting.
fn hook_deadline(lambda_deadline_ms: u64, now_ms: u64) -> u64 {
    lambda_deadline_ms.min(now_ms + HOOK_BUDGET_MS)
}

/// The EMF line of a successful invocation, for stdout (CloudWatch reads EMF only from a bare JSON
/// line, not from the tracing subscriber's); none when the metrics are off (an empty namespace) or
/// no rule name is known to file them under.
fn metrics_line(settings: &Settings, now: Timestamp, outcome: &Outcome) -> Option<String> {
    let rule_name = metrics::rule_name_for_metrics(
        settings.rule_name.as_deref(),
        outcome.rule_name.as_deref(),
    )?;
    (!settings.namespace.is_empty()).then(|| {
        metrics::emf_line(
            &settings.namespace,
            rule_name,
            outcome.account.as_deref(),
            outcome.trigger,
            &outcome.summary,
            now,
            settings.log_level.metrics_level(),
        )
    })
}

/// Runs `work` until `DEADLINE_MARGIN` before the Lambda deadline (epoch milliseconds). An
/// invocation that arrives with less than the margin left is refused at once, before any call.
async fn within_deadline<T>(
    deadline_ms: u64,
    now_ms: u64,
    work: impl Future<Output = Result<T, RuleError>>,
) -> Result<T, RuleError> {
    let margin_ms = DEADLINE_MARGIN.as_millis() as u64;
    let left_ms = match deadline_ms.checked_sub(now_ms) {
        None | Some(0) => {
            return Err(RuleError::Timeout(format!(
                "before it started: the invocation's deadline had passed {} ms earlier; nothing \
                 was evaluated",
                now_ms - deadline_ms
            )))
        }
        Some(left_ms) if left_ms <= margin_ms => {
            return Err(RuleError::Timeout(format!(
                "before it started: {left_ms} ms were left before the deadline, not more than the \
                 {margin_ms} ms kept to report; nothing was evaluated"
            )))
        }
        Some(left_ms) => left_ms,
    };
    let budget = Duration::from_millis(left_ms - margin_ms);
    tokio::time::timeout(budget, work)
        .await
        .unwrap_or_else(|_| {
            Err(RuleError::Timeout(format!(
                "after {} ms, {margin_ms} ms before the Lambda deadline: an AWS call had not \
                 answered; evaluations already sent stand, the rest were not sent",
                budget.as_millis()
            )))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::send::{Delivery, Sent};

    async fn never() -> Result<(), RuleError> {
        std::future::pending().await
    }

    #[tokio::test]
    async fn a_deadline_already_past_is_refused_at_once() {
        let error = within_deadline(1_000, 4_000, never()).await.unwrap_err();
        assert_eq!(error.error_type(), "Timeout");
        assert!(
            error.to_string().contains("had passed 3000 ms earlier"),
            "{error}"
        );
        let error = within_deadline(4_000, 4_000, never()).await.unwrap_err();
        assert!(
            error.to_string().contains("had passed 0 ms earlier"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_deadline_within_the_margin_is_refused_at_once_without_blaming_aws() {
        let error = within_deadline(4_500, 4_000, never()).await.unwrap_err();
        let message = error.to_string();
        assert!(message.contains("500 ms were left"), "{message}");
        assert!(!message.contains("AWS"), "{message}");
    }

    #[tokio::test]
    async fn work_that_outlives_the_budget_times_out_naming_the_budget() {
        let error = within_deadline(4_520, 4_000, never()).await.unwrap_err();
        assert!(error.to_string().contains("after 20 ms"), "{error}");
        let done = within_deadline(4_520, 4_000, async { Ok(7) }).await;
        assert_eq!(done.unwrap(), 7);
    }
    fn delete_request() -> Json {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/events/hook/delete.json"
        ))
        .unwrap();
        hook_payload(&text).unwrap()
    }

    /// A hook request is answered as CloudFormation reads it (a delete needs no AWS call), and a
    /// request past its deadline is an internal failure that names the timeout, never a pass.
    #[tokio::test]
    async fn a_hook_request_gets_an_answer_cloudformation_reads() {
        let aws = AwsAccount::default();
        let settings = settings(&[]);
        let far = Timestamp::now().millis() as u64 + 60_000;
        let answer = answer_hook_within(&aws, &settings, &delete_request(), far).await;
        assert_eq!(answer["hookStatus"], "SUCCESS", "{answer}");
        assert!(answer["message"]
            .as_str()
            .unwrap()
            .contains("a delete closes every door"));
        let answer = answer_hook_within(&aws, &settings, &delete_request(), 1_000).await;
        assert_eq!(
            (answer["hookStatus"].as_str(), answer["errorCode"].as_str()),
            (Some("FAILED"), Some("InternalFailure")),
            "{answer}"
        );
        assert!(
            answer["message"].as_str().unwrap().contains("timed out"),
            "{answer}"
        );
    }

    #[test]
    fn a_hook_is_answered_within_its_budget_or_lambdas_deadline() {
        assert_eq!(hook_deadline(100_000, 10_000), 10_000 + HOOK_BUDGET_MS);
        assert_eq!(hook_deadline(20_000, 10_000), 20_000);
    }

    fn outcome(rule_name: Option<&str>) -> Outcome {
        Outcome {
            summary: crate::app::delivery::InvocationSummary::default(),
            evaluations: Vec::new(),
            rule_name: rule_name.map(str::to_owned),
            account: Some("123456789012".into()),
            trigger: crate::app::Trigger::Change,
            trusted_by: crate::rule::ca::TrustedBy::new(),
        }
    }

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_variables(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn metrics_are_written_under_a_rule_name_unless_the_namespace_is_empty() {
        let now = Timestamp::from_secs(1_700_000_000);
        let no_env = settings(&[]);
        let line = metrics_line(&no_env, now, &outcome(Some("rule"))).unwrap();
        let line: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line["ConfigRuleName"], "rule");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "MskMtlsRule"
        );
        let off = settings(&[("METRICS_NAMESPACE", "")]);
        assert_eq!(metrics_line(&off, now, &outcome(Some("rule"))), None);
        assert_eq!(metrics_line(&no_env, now, &outcome(None)), None);
        let stack = settings(&[("CONFIG_RULE_NAME", "stack-rule")]);
        let line: serde_json::Value =
            serde_json::from_str(&metrics_line(&stack, now, &outcome(Some("copy"))).unwrap())
                .unwrap();
        assert_eq!(
            line["ConfigRuleName"], "stack-rule",
            "the stack's rule name wins"
        );
    }

    #[test]
    fn the_scheduled_probe_stops_a_second_before_lambdas_deadline_or_21_when_it_sends_findings() {
        let now = tokio::time::Instant::now();
        let left = |deadline_ms, now_ms, sends| {
            probe_deadline(now, deadline_ms, now_ms, probing_margin(sends)) - now
        };
        assert_eq!(left(10_000, 4_000, false), Duration::from_millis(5_000));
        assert_eq!(left(10_000, 9_500, false), Duration::ZERO);
        assert_eq!(left(10_000, 12_000, false), Duration::ZERO, "already past");
        assert_eq!(left(300_000, 0, true), Duration::from_millis(279_000));
        assert_eq!(left(300_000, 290_000, true), Duration::ZERO);
    }

    #[test]
    fn a_finding_not_sent_or_the_deadline_first_fails_the_run_by_name() {
        let delivery = |delivery| HubDelivery {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            delivery,
        };
        let sent = delivery(Delivery::Sent(Sent {
            imported: 2,
            ..Sent::default()
        }));
        assert!(said_to_security_hub(Ok(std::slice::from_ref(&sent))).is_ok());
        assert!(said_to_security_hub(Ok(&[])).is_ok());
        let error = said_to_security_hub(Ok(&[sent, delivery(Delivery::NotEnabled)]))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "AWS BatchImportFindings failed: msk-mtls-rule: probe: Security Hub in account 123456789012 region us-east-1: not sent (Security Hub not enabled)");
        let error = said_to_security_hub(Err(())).unwrap_err().to_string();
        assert!(
            error.contains("not sent before the function's deadline"),
            "{error}"
        );
    }

    #[test]
    fn the_scheduled_probe_writes_a_line_per_cluster_and_a_heartbeat_unless_metrics_are_off() {
        let now = Timestamp::from_secs(1_700_000_000);
        let reports = vec![
            ProbeReport::judge("a".into(), Vec::new(), &[], false),
            ProbeReport::judge("b".into(), Vec::new(), &[], false),
        ];
        let lines = probe_metrics_lines(
            &settings(&[("AWS_LAMBDA_LOG_LEVEL", "ERROR")]),
            &reports,
            now,
        );
        let read: Vec<serde_json::Value> = lines
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(read.len(), 3);
        assert_eq!(
            (
                read[0]["ClusterArn"].as_str(),
                read[1]["ClusterArn"].as_str()
            ),
            (Some("a"), Some("b"))
        );
        assert_eq!(
            (
                read[2]["ProbeRuns"].as_u64(),
                read[2]["ProbeClusters"].as_u64()
            ),
            (Some(1), Some(2))
        );
        assert!(
            read.iter().all(|line| line["level"] == "ERROR"),
            "stamped at the function's level"
        );
        let off = settings(&[("METRICS_NAMESPACE", "")]);
        assert!(probe_metrics_lines(&off, &reports, now).is_empty());
    }
}
