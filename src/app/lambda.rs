//! The Lambda handler: the Runtime API loop, the deadline, and the metrics line.

use std::future::Future;
use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;

use crate::app::access::account_of_function_arn;
use crate::app::alerts::AlertSettings;
use crate::app::delivery::Mode;
use crate::app::hook::{answer_hook, HookResponse, PARAMETERS_VARIABLE};
use crate::app::scheduled_probe::{
    clusters_to_probe, parse_probe_event, probe_clusters, ProbeSettings,
};
use crate::app::{invoke, Outcome};
use crate::aws::sdk::AwsAccount;
use crate::edge::hook::{hook_payload, token_of};
use crate::error::RuleError;
use crate::logging::{self, LogLevel};
use crate::metrics;
use crate::probe;
use crate::rule::time::Timestamp;

/// CloudFormation waits 30 s for a hook's answer: a hook request is answered within 25.
const HOOK_BUDGET_MS: u64 = 25_000;

/// Time kept back from the Lambda deadline to report a clear timeout instead of being killed.
const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// Time kept back from the Lambda deadline by the scheduled probe, to write every cluster's metrics
/// line (the unfinished ones as inconclusive) and answer.
const PROBE_DEADLINE_MARGIN: Duration = Duration::from_millis(1_000);

/// Serves the Lambda Runtime API until the process is stopped, with clients built during init.
pub async fn serve() -> Result<(), lambda_runtime::Error> {
    let log_level = LogLevel::from_env();
    logging::init_lambda(log_level);
    let aws = &AwsAccount::load().await;
    let namespace = &metrics::namespace(|name| std::env::var(name).ok());
    // The payload is taken raw: the event parser then reports any payload (even JSON nested past
    // serde's depth limit) as InvalidEvent, never as the runtime's own deserializer error.
    let hook_parameters = &std::env::var(PARAMETERS_VARIABLE).ok();
    // Read once; an invalid setting fails every invocation with its name, never silences alerts.
    let alerts =
        &AlertSettings::from_variables(|name| std::env::var(name).ok()).map_err(
            |error| match error {
                RuleError::InvalidEnvironment(message) => message,
                other => other.message(),
            },
        );
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<RawValue>>| async move {
            if let Some(payload) = hook_payload(event.payload.get()) {
                let now = Timestamp::now();
                let deadline = hook_deadline(event.context.deadline, now.millis() as u64);
                // Boxed: beside the rule's invocation, the nested futures' layout outgrows the
                // compiler's default query depth in release builds.
                let answer = Box::pin(answer_hook(aws, &payload, hook_parameters.as_deref(), now));
                let response =
                    within_deadline(deadline, now.millis() as u64, async { Ok(answer.await) })
                        .await
                        .unwrap_or_else(|error| {
                            HookResponse::internal_failure(token_of(&payload), &error.message())
                        });
                return Ok(serde_json::to_value(response).unwrap_or_default());
            }
            let own_account = account_of_function_arn(&event.context.invoked_function_arn)
                .ok_or_else(|| {
                    RuleError::InvalidEvent(format!(
                        "the invoked function ARN {:?} names no account",
                        event.context.invoked_function_arn
                    ))
                })?;
            let alerts = alerts
                .as_ref()
                .map_err(|message| RuleError::InvalidEnvironment(message.clone()))?;
            let now = Timestamp::now();
            let invocation = invoke(
                aws,
                event.payload.get(),
                Some(own_account),
                Mode::Send,
                alerts,
                now,
            );
            let outcome =
                within_deadline(event.context.deadline, now.millis() as u64, invocation).await?;
            if let Some(line) = metrics_line(namespace, log_level, now, &outcome, |name| {
                std::env::var(name).ok()
            }) {
                println!("{line}");
            }
            Ok::<serde_json::Value, RuleError>(
                serde_json::to_value(outcome.summary).unwrap_or_default(),
            )
        },
    ))
    .await
}

/// Serves the scheduled probe function (`MSK_MTLS_RULE_HANDLER=probe`): each event names clusters
/// (or asks for them to be listed), each is probed with the system's roots until the deadline, and
/// one metrics line per cluster and one per invocation are written. A cluster that cannot be probed
/// counts as inconclusive; the invocation fails on a malformed event, an invalid setting or a
/// listing that cannot be read.
pub async fn serve_probe() -> Result<(), lambda_runtime::Error> {
    let log_level = LogLevel::from_env();
    logging::init_lambda(log_level);
    let aws = &AwsAccount::load().await;
    let namespace = &metrics::namespace(|name| std::env::var(name).ok());
    let settings = &ProbeSettings::from_variables(|name| std::env::var(name).ok())
        .map_err(|error| error.message());
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let settings = settings
                .as_ref()
                .map_err(|message| RuleError::InvalidEnvironment(message.clone()))?;
            let clusters = parse_probe_event(&event.payload).map_err(RuleError::InvalidEvent)?;
            let now = Timestamp::now();
            let deadline = probe_deadline(
                tokio::time::Instant::now(),
                event.context.deadline,
                now.millis() as u64,
            );
            let arns = tokio::time::timeout_at(deadline, clusters_to_probe(aws, &clusters))
                .await
                .map_err(|_| {
                    RuleError::aws(
                        "ListClustersV2",
                        "not listed before the function's deadline",
                    )
                })??;
            let reports = probe_clusters(aws, &arns, settings, deadline).await;
            for line in probe_metrics_lines(namespace, &reports, now, log_level) {
                println!("{line}");
            }
            let reports: Vec<_> = reports.iter().map(probe::ProbeReport::to_json).collect();
            Ok::<serde_json::Value, RuleError>(serde_json::json!({ "clusters": reports }))
        },
    ))
    .await
}

/// When the scheduled probe stops: `PROBE_DEADLINE_MARGIN` before Lambda's deadline (epoch
/// milliseconds), on the clock of `now` (the same moment as `now_ms`); at once when that has passed.
fn probe_deadline(
    now: tokio::time::Instant,
    lambda_deadline_ms: u64,
    now_ms: u64,
) -> tokio::time::Instant {
    now + Duration::from_millis(
        lambda_deadline_ms
            .saturating_sub(now_ms)
            .saturating_sub(PROBE_DEADLINE_MARGIN.as_millis() as u64),
    )
}

/// The scheduled probe's EMF lines: one per cluster, then the run's heartbeat; none when the
/// metrics are off (an empty namespace).
fn probe_metrics_lines(
    namespace: &str,
    reports: &[probe::ProbeReport],
    now: Timestamp,
    log_level: LogLevel,
) -> Vec<String> {
    if namespace.is_empty() {
        return Vec::new();
    }
    let level = log_level.metrics_level();
    reports
        .iter()
        .map(|report| probe::run::probe_metrics_line(namespace, report, now, level.as_str()))
        .chain([probe::run::probe_run_metrics_line(
            namespace,
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
fn metrics_line(
    namespace: &str,
    log_level: LogLevel,
    now: Timestamp,
    outcome: &Outcome,
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let rule_name = metrics::rule_name_for_metrics(env, outcome.rule_name.as_deref())?;
    (!namespace.is_empty()).then(|| {
        metrics::emf_line(
            namespace,
            &rule_name,
            outcome.account.as_deref(),
            outcome.trigger,
            &outcome.summary,
            now,
            log_level.metrics_level(),
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
            "before it started: the invocation's deadline had passed {} ms earlier; nothing was \
                 evaluated",
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
            "after {} ms, {margin_ms} ms before the Lambda deadline: an AWS call had not answered; \
             evaluations already sent stand, the rest were not sent",
            budget.as_millis()
        )))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            trigger: metrics::Trigger::Change,
        }
    }

    #[test]
    fn metrics_are_written_under_a_rule_name_unless_the_namespace_is_empty() {
        let now = Timestamp::from_secs(1_700_000_000);
        let no_env = |_: &str| None;
        let line = metrics_line(
            "MskMtlsRule",
            LogLevel::Info,
            now,
            &outcome(Some("rule")),
            no_env,
        )
        .unwrap();
        let line: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line["ConfigRuleName"], "rule");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "MskMtlsRule"
        );
        assert_eq!(
            metrics_line("", LogLevel::Info, now, &outcome(Some("rule")), no_env),
            None
        );
        assert_eq!(
            metrics_line("MskMtlsRule", LogLevel::Info, now, &outcome(None), no_env),
            None
        );
    }

    #[test]
    fn the_scheduled_probe_stops_a_second_before_lambdas_deadline() {
        let now = tokio::time::Instant::now();
        let left = |deadline_ms, now_ms| probe_deadline(now, deadline_ms, now_ms) - now;
        assert_eq!(left(10_000, 4_000), Duration::from_millis(5_000));
        assert_eq!(left(10_000, 9_500), Duration::ZERO);
        assert_eq!(left(10_000, 12_000), Duration::ZERO, "already past");
    }

    #[test]
    fn the_scheduled_probe_writes_a_line_per_cluster_and_a_heartbeat_unless_metrics_are_off() {
        let now = Timestamp::from_secs(1_700_000_000);
        let reports = vec![
            probe::ProbeReport::judge("a".into(), Vec::new(), &[], false),
            probe::ProbeReport::judge("b".into(), Vec::new(), &[], false),
        ];
        let lines = probe_metrics_lines("MskMtlsRule", &reports, now, LogLevel::Error);
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
        assert!(probe_metrics_lines("", &reports, now, LogLevel::Info).is_empty());
    }
}
