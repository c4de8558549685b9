//! KPI metrics as CloudWatch Embedded Metric Format: one JSON line per invocation on stdout, which
//! CloudWatch Logs turns into metrics with no API call from the function.

use serde_json::{json, Map, Value};

use crate::app::delivery::InvocationSummary;
use crate::app::rejections::{Attribution, Rejections};
use crate::app::Trigger;
use crate::logging::LogLevel;
use crate::probe::{ProbeReport, Verdict};
use crate::rule::arn::cluster_name_or_id;
use crate::rule::rotation::SweepFigures;
use crate::rule::time::Timestamp;

/// The namespace when `METRICS_NAMESPACE` is not set; an empty one turns the metrics off.
pub const DEFAULT_NAMESPACE: &str = "MskMtlsRule";

/// `METRICS_NAMESPACE` as `env` gives it, or the default.
pub fn namespace(env: impl Fn(&str) -> Option<String>) -> String {
    env("METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// The rule name the metrics are filed under: the stack's rule (`CONFIG_RULE_NAME`), so that a
/// conformance pack's copy (`<name>-conformance-pack-<suffix>`) and every member account's copy of
/// an organization rule (`OrgConfigRule-<name>-<suffix>`) add up in one dashboard and one alarm;
/// otherwise the event's.
pub fn rule_name_for_metrics<'a>(
    stack_rule_name: Option<&'a str>,
    event_rule_name: Option<&'a str>,
) -> Option<&'a str> {
    stack_rule_name
        .filter(|name| !name.is_empty())
        .or(event_rule_name)
        .filter(|name| !name.is_empty())
}

/// The EMF line for one invocation. `MtlsCompliancePercent` (compliant out of compliant plus
/// non-compliant) is given for sweeps only: a change event judges one cluster, not the fleet.
/// `level` and `timestamp` are for Lambda's log-level filter, which drops a line it reads as below
/// the function's level (see `logging`).
///
/// Beside the counts by rule and trigger: a sweep's percentage also by `AccountId` (one metric per
/// account, not one per account and count); `TimeToRemediate` (seconds, one value per cluster that
/// turned COMPLIANT again) and `AlertsPublished` by rule alone.
#[allow(clippy::too_many_arguments)]
pub fn emf_line(
    namespace: &str,
    rule_name: &str,
    account: Option<&str>,
    trigger: Trigger,
    summary: &InvocationSummary,
    timestamp: Timestamp,
    level: LogLevel,
) -> String {
    let (values, percent) = counts(trigger, summary);
    let follow_ups = follow_ups(summary);
    let mut directives = vec![directive(
        namespace,
        &[&["ConfigRuleName", "Trigger"]],
        &values,
    )];
    if let (Some(percent), Some(_)) = (percent, account) {
        let by_account = [("MtlsCompliancePercent", "Percent", json!(percent))];
        directives.push(directive(
            namespace,
            &[&["ConfigRuleName", "AccountId"]],
            &by_account,
        ));
    }
    if !follow_ups.is_empty() {
        directives.push(directive(namespace, &[&["ConfigRuleName"]], &follow_ups));
    }
    let mut line = Map::new();
    line.insert("level".into(), level.as_str().into());
    line.insert("timestamp".into(), timestamp.to_string().into());
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp.millis(),
            "CloudWatchMetrics": directives,
        }),
    );
    line.insert("ConfigRuleName".into(), rule_name.into());
    line.insert("Trigger".into(), trigger.as_str().into());
    if let Some(account) = account {
        line.insert("AccountId".into(), account.into());
    }
    for (name, _, value) in values.into_iter().chain(follow_ups) {
        line.insert(name.into(), value);
    }
    Value::Object(line).to_string()
}

/// A metric's name, unit and value.
type Metric = (&'static str, &'static str, Value);

/// The counts by rule and trigger, and a sweep's share enforcing mTLS (also returned alone, for
/// the by-account directive).
fn counts(trigger: Trigger, summary: &InvocationSummary) -> (Vec<Metric>, Option<f64>) {
    let mut values: Vec<Metric> = vec![
        ("ClustersEvaluated", "Count", summary.evaluations.into()),
        ("Compliant", "Count", summary.compliant.into()),
        ("NonCompliant", "Count", summary.non_compliant.into()),
        ("NotApplicable", "Count", summary.not_applicable.into()),
        (
            "AclOpenByDefault",
            "Count",
            summary.acl_open_by_default.into(),
        ),
    ];
    let judged = summary.compliant + summary.non_compliant;
    let percent = (trigger == Trigger::Scheduled && judged > 0)
        .then(|| 100.0 * summary.compliant as f64 / judged as f64);
    if let Some(percent) = percent {
        values.push(("MtlsCompliancePercent", "Percent", json!(percent)));
    }
    if let Some(days) = summary.ca_days_to_expiry {
        values.push(("CaDaysToExpiry", "None", days.into()));
    }
    if let Some(unhealthy) = summary.ca_unhealthy {
        values.push(("CaUnhealthy", "Count", unhealthy.into()));
    }
    if let Some(most) = summary.ca_most_clusters {
        values.push(("CaMostClusters", "Count", most.into()));
    }
    if let Some(shared) = summary.ca_shared {
        values.push(("CaShared", "Count", shared.into()));
    }
    (values, percent)
}

/// What followed the evaluations, by rule alone: times to remediate, alerts published.
fn follow_ups(summary: &InvocationSummary) -> Vec<Metric> {
    let mut follow_ups: Vec<Metric> = Vec::new();
    if !summary.time_to_remediate_secs.is_empty() {
        follow_ups.push((
            "TimeToRemediate",
            "Seconds",
            json!(summary.time_to_remediate_secs),
        ));
    }
    if summary.alerts > 0 {
        follow_ups.push(("AlertsPublished", "Count", summary.alerts.into()));
    }
    follow_ups
}

fn directive(namespace: &str, dimensions: &[&[&str]], values: &[(&str, &str, Value)]) -> Value {
    let definitions: Vec<Value> = values
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    json!({"Namespace": namespace, "Dimensions": dimensions, "Metrics": definitions})
}

/// The EMF line of one scheduled invocation, whatever it found: `ProbeRuns` 1 is the heartbeat whose
/// absence the stack's alarm treats as the probe not running; `ProbeClusters` how many were probed.
pub fn probe_run_line(namespace: &str, clusters: usize, now: Timestamp, level: &str) -> String {
    json!({
        "_aws": {
            "Timestamp": now.millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": [
                    {"Name": "ProbeRuns", "Unit": "Count"},
                    {"Name": "ProbeClusters", "Unit": "Count"},
                ],
            }],
        },
        "level": level,
        "timestamp": now.to_string(),
        "ProbeRuns": 1,
        "ProbeClusters": clusters,
    })
    .to_string()
}

/// The EMF line of one cluster's probe: per cluster, and summed over every cluster (no dimension)
/// for the alarm, which cannot name clusters a template does not know.
pub fn probe_line(namespace: &str, report: &ProbeReport, now: Timestamp, level: &str) -> String {
    let (refusals, open, inconclusive) = report.counts();
    let name = cluster_name_or_id(&report.target);
    let verdict_inconclusive = usize::from(report.verdict == Verdict::Inconclusive);
    json!({
        "_aws": {
            "Timestamp": now.millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["ClusterName"], []],
                "Metrics": [
                    {"Name": "ProbeRefusalsConfirmed", "Unit": "Count"},
                    {"Name": "ProbeDoorsOpen", "Unit": "Count"},
                    {"Name": "ProbeInconclusive", "Unit": "Count"},
                ],
            }],
        },
        "level": level,
        "timestamp": now.to_string(),
        "ClusterName": name,
        "ClusterArn": report.target,
        "Verdict": report.verdict.as_str(),
        "ProbeRefusalsConfirmed": refusals,
        "ProbeDoorsOpen": open,
        "ProbeInconclusive": inconclusive.max(verdict_inconclusive),
    })
    .to_string()
}

/// The EMF line of one subscription event: the refusals its broker lines record, by the cluster
/// whose brokers wrote them and summed over every cluster (no dimension) for an alarm. A group
/// several clusters share, or none of the account's clusters logs to, is counted by `LogGroup`.
pub fn rejections_line(
    namespace: &str,
    rejections: &Rejections,
    now: Timestamp,
    level: &str,
) -> String {
    let tally = rejections.tally();
    let (dimension, value) = match &rejections.attribution {
        Attribution::Cluster(name) => ("ClusterName", name.as_str()),
        Attribution::Shared(_) | Attribution::NoCluster => {
            ("LogGroup", rejections.batch.log_group.as_str())
        }
    };
    let mut line = json!({
        "_aws": {
            "Timestamp": now.millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[dimension], []],
                "Metrics": [
                    {"Name": "RejectedHandshakes", "Unit": "Count"},
                    {"Name": "FailedSaslAuthentications", "Unit": "Count"},
                ],
            }],
        },
        "level": level,
        "timestamp": now.to_string(),
        "RejectedHandshakes": tally.rejected_handshakes,
        "FailedSaslAuthentications": tally.failed_sasl_authentications,
    });
    line[dimension] = json!(value);
    line.to_string()
}

/// The EMF line of one CA's rotations in a sweep, by `CertificateAuthorityId` and summed over
/// every CA (no dimension): the identities due now, the lapses since the last sweep (summed over a
/// quarter: the KPI "rotation failures per quarter"), and a CA whose report was not read (`None`:
/// no figures, never zero).
pub fn rotation_line(
    namespace: &str,
    ca_id: &str,
    figures: Option<&SweepFigures>,
    now: Timestamp,
    level: &str,
) -> String {
    let mut metrics = vec![json!({"Name": "RotationsNotJudged", "Unit": "Count"})];
    let mut line = json!({
        "level": level,
        "timestamp": now.to_string(),
        "CertificateAuthorityId": ca_id,
        "RotationsNotJudged": u8::from(figures.is_none()),
    });
    if let Some(figures) = figures {
        metrics.push(json!({"Name": "ClientCertificatesRotationDue", "Unit": "Count"}));
        metrics.push(json!({"Name": "ClientCertificateRotationsMissed", "Unit": "Count"}));
        line["ClientCertificatesRotationDue"] = json!(figures.due);
        line["ClientCertificateRotationsMissed"] = json!(figures.lapses_since);
    }
    line["_aws"] = json!({
        "Timestamp": now.millis(),
        "CloudWatchMetrics": [{
            "Namespace": namespace,
            "Dimensions": [["CertificateAuthorityId"], []],
            "Metrics": metrics,
        }],
    });
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::endpoints::{Endpoint, Listener};
    use crate::probe::{Attempt, Knocked, Outcome};

    fn summary(compliant: usize, non_compliant: usize, days: Option<i64>) -> InvocationSummary {
        InvocationSummary {
            evaluations: compliant + non_compliant + 1,
            compliant,
            non_compliant,
            not_applicable: 1,
            ca_days_to_expiry: days,
            ..InvocationSummary::default()
        }
    }

    /// One evaluation, COMPLIANT: nothing to follow up.
    fn one_compliant() -> InvocationSummary {
        InvocationSummary {
            evaluations: 1,
            compliant: 1,
            ..InvocationSummary::default()
        }
    }

    fn metric_names(line: &Value) -> Vec<String> {
        line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|metric| metric["Name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_sweep_line_declares_every_value_it_carries_with_the_fleet_percentage() {
        let text = emf_line(
            "Ns",
            "rule",
            None,
            Trigger::Scheduled,
            &InvocationSummary {
                acl_open_by_default: 2,
                ..summary(3, 1, Some(12))
            },
            Timestamp::from_millis(1_700),
            LogLevel::Info,
        );
        assert!(!text.contains('\n'));
        let line: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(line["_aws"]["Timestamp"], 1_700);
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Ns");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["ConfigRuleName", "Trigger"]])
        );
        assert_eq!(
            (line["ConfigRuleName"].as_str(), line["Trigger"].as_str()),
            (Some("rule"), Some("Scheduled"))
        );
        let names = metric_names(&line);
        assert_eq!(
            names,
            [
                "ClustersEvaluated",
                "Compliant",
                "NonCompliant",
                "NotApplicable",
                "AclOpenByDefault",
                "MtlsCompliancePercent",
                "CaDaysToExpiry"
            ]
        );
        for name in &names {
            assert!(line[name].is_number(), "{name} has no value");
        }
        assert_eq!(line["ClustersEvaluated"], 5);
        assert_eq!(line["AclOpenByDefault"], 2);
        assert_eq!(line["MtlsCompliancePercent"], 75.0);
        assert_eq!(line["CaDaysToExpiry"], 12);
    }

    #[test]
    fn no_percentage_for_a_change_event_or_a_sweep_with_nothing_judged() {
        let change = emf_line(
            "Ns",
            "r",
            None,
            Trigger::Change,
            &one_compliant(),
            Timestamp::from_millis(0),
            LogLevel::Info,
        );
        let empty_sweep = emf_line(
            "Ns",
            "r",
            None,
            Trigger::Scheduled,
            &summary(0, 0, None),
            Timestamp::from_millis(0),
            LogLevel::Info,
        );
        for text in [change, empty_sweep] {
            let line: Value = serde_json::from_str(&text).unwrap();
            assert!(!metric_names(&line).contains(&"MtlsCompliancePercent".to_owned()));
            assert!(line.get("MtlsCompliancePercent").is_none());
            assert!(line.get("CaDaysToExpiry").is_none());
        }
    }

    #[test]
    fn a_sweep_s_share_is_also_by_account_and_remediation_times_are_by_rule() {
        let mut summary = summary(1, 1, None);
        summary.time_to_remediate_secs = vec![60, 7_200];
        summary.alerts = 3;
        summary.ca_unhealthy = Some(2);
        summary.ca_most_clusters = Some(4);
        summary.ca_shared = Some(1);
        let text = emf_line(
            "Ns",
            "rule",
            Some("111122223333"),
            Trigger::Scheduled,
            &summary,
            Timestamp::from_millis(0),
            LogLevel::Info,
        );
        let line: Value = serde_json::from_str(&text).unwrap();
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 3);
        assert_eq!(
            directives[1]["Dimensions"],
            json!([["ConfigRuleName", "AccountId"]])
        );
        assert_eq!(
            directives[1]["Metrics"],
            json!([{"Name": "MtlsCompliancePercent", "Unit": "Percent"}])
        );
        assert_eq!(directives[2]["Dimensions"], json!([["ConfigRuleName"]]));
        assert_eq!(line["AccountId"], "111122223333");
        assert_eq!(line["TimeToRemediate"], json!([60, 7_200]));
        assert_eq!(line["AlertsPublished"], 3);
        assert_eq!(line["CaUnhealthy"], 2);
        assert_eq!(
            (&line["CaMostClusters"], &line["CaShared"]),
            (&json!(4), &json!(1))
        );
        assert_eq!(line["MtlsCompliancePercent"], 50.0);
        // A change event: no share, so no account directive.
        let change = emf_line(
            "Ns",
            "rule",
            Some("111122223333"),
            Trigger::Change,
            &summary,
            Timestamp::from_millis(0),
            LogLevel::Info,
        );
        let change: Value = serde_json::from_str(&change).unwrap();
        assert_eq!(
            change["_aws"]["CloudWatchMetrics"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // Nothing to follow up: no directive and no value for it.
        let quiet = emf_line(
            "Ns",
            "rule",
            None,
            Trigger::Change,
            &one_compliant(),
            Timestamp::from_millis(0),
            LogLevel::Info,
        );
        let quiet: Value = serde_json::from_str(&quiet).unwrap();
        assert_eq!(
            quiet["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(),
            1
        );
        assert!(quiet.get("AlertsPublished").is_none(), "{quiet}");
    }

    #[test]
    fn the_line_is_kept_by_lambda_at_every_log_level() {
        for threshold in LogLevel::ALL {
            let text = emf_line(
                "Ns",
                "r",
                None,
                Trigger::Scheduled,
                &one_compliant(),
                Timestamp::from_millis(1_764_345_600_000),
                threshold.metrics_level(),
            );
            let line: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(line["timestamp"], "2025-11-28T16:00:00Z");
            assert!(
                crate::logging::lambda_keeps(&line, threshold),
                "{threshold:?}: {text}"
            );
        }
    }
    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn the_namespace_is_the_variable_or_the_default_and_empty_stays_empty() {
        assert_eq!(namespace(env_of(&[])), DEFAULT_NAMESPACE);
        assert_eq!(
            namespace(env_of(&[("METRICS_NAMESPACE", "Security")])),
            "Security"
        );
        assert_eq!(namespace(env_of(&[("METRICS_NAMESPACE", "")])), "");
    }

    #[test]
    fn metrics_go_under_the_stacks_rule_name_else_the_events() {
        let stack = Some("msk-mtls");
        assert_eq!(
            rule_name_for_metrics(stack, Some("OrgConfigRule-msk-mtls-x1")),
            Some("msk-mtls")
        );
        assert_eq!(rule_name_for_metrics(stack, None), Some("msk-mtls"));
        for unset in [None, Some("")] {
            assert_eq!(
                rule_name_for_metrics(unset, Some("pack-copy")),
                Some("pack-copy")
            );
            assert_eq!(rule_name_for_metrics(unset, Some("")), None);
            assert_eq!(rule_name_for_metrics(unset, None), None);
        }
    }

    /// deploy/probe.yaml's alarms read metrics without dimensions, which only exist if every line
    /// declares the empty dimension set beside the cluster's.
    #[test]
    fn every_metric_the_probe_alarms_read_is_written_without_dimensions_too() {
        let template =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/probe.yaml"))
                .unwrap();
        // The alarms on the function's own metrics (the others read AWS/Lambda and AWS/SQS).
        let alarmed: Vec<&str> = template
            .lines()
            .filter_map(|line| line.trim().strip_prefix("MetricName: "))
            .filter(|name| name.starts_with("Probe"))
            .collect();
        assert_eq!(
            alarmed,
            ["ProbeDoorsOpen", "ProbeInconclusive", "ProbeRuns"]
        );
        let run: Value = serde_json::from_str(&probe_run_line(
            "MskMtlsRule",
            2,
            Timestamp::from_secs(1),
            "INFO",
        ))
        .unwrap();
        assert_eq!(
            run["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(
            (run["ProbeRuns"].as_u64(), run["ProbeClusters"].as_u64()),
            (Some(1), Some(2))
        );
        let alarmed = &alarmed[..2];
        let report = ProbeReport::judge(
            CLUSTER.into(),
            vec![Knocked {
                endpoint: Endpoint {
                    host: "b-1".into(),
                    port: 9094,
                    listener: Listener::Tls,
                },
                attempt: Attempt::TlsNoCert,
                outcome: Outcome::Accepted,
                detail: String::new(),
            }],
            &[],
            false,
        );
        let line: Value = serde_json::from_str(&probe_line(
            "MskMtlsRule",
            &report,
            Timestamp::from_secs(1),
            "INFO",
        ))
        .unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([["ClusterName"], []]));
        for metric in alarmed.iter().copied() {
            assert!(
                directive["Metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["Name"] == metric),
                "{metric}"
            );
            assert!(line[metric].is_u64(), "{metric}");
        }
        assert_eq!(line["ClusterName"], "orders");
        assert_eq!(line["ProbeDoorsOpen"], 1);
        assert_eq!(line["ProbeInconclusive"], 0, "an open door is a finding");
    }

    /// A probe that could not run has no knocks, and still counts once for the alarm.
    #[test]
    fn a_probe_that_could_not_run_counts_as_inconclusive() {
        let report = ProbeReport {
            target: CLUSTER.into(),
            results: Vec::new(),
            verdict: crate::probe::Verdict::Inconclusive,
            reason: "probe: GetBootstrapBrokers failed".into(),
            confirmed_by_control: false,
            not_knocked: Vec::new(),
        };
        let line: Value = serde_json::from_str(&probe_line(
            "MskMtlsRule",
            &report,
            Timestamp::from_secs(1),
            "WARN",
        ))
        .unwrap();
        assert_eq!(line["ProbeInconclusive"], 1);
        assert_eq!(line["ProbeDoorsOpen"], 0);
        assert_eq!(line["Verdict"], "INCONCLUSIVE");
        assert_eq!(line["level"], "WARN");
    }

    const CLUSTER: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";

    #[test]
    fn a_cas_rotations_are_counted_by_ca_and_a_report_not_read_is_no_zero() {
        let figures = SweepFigures {
            due: 3,
            missed: 1,
            lapses_since: 2,
            turned_since: 1,
        };
        let now = Timestamp::from_secs(1_800_000_000);
        let judged: Value =
            serde_json::from_str(&rotation_line("Ns", "ca-1", Some(&figures), now, "info"))
                .unwrap();
        assert_eq!(judged["CertificateAuthorityId"], "ca-1");
        assert_eq!(judged["ClientCertificatesRotationDue"], 3);
        assert_eq!(judged["ClientCertificateRotationsMissed"], 2);
        assert_eq!(judged["RotationsNotJudged"], 0);
        let directive = &judged["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(
            directive["Dimensions"],
            json!([["CertificateAuthorityId"], []])
        );
        assert_eq!(metric_names(&judged).len(), 3);
        let unread: Value =
            serde_json::from_str(&rotation_line("Ns", "ca-1", None, now, "info")).unwrap();
        assert_eq!(unread["RotationsNotJudged"], 1);
        assert_eq!(unread.get("ClientCertificatesRotationDue"), None);
        assert_eq!(metric_names(&unread), ["RotationsNotJudged"]);
    }
}
