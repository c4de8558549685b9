//! KPI metrics as CloudWatch Embedded Metric Format: one JSON line per invocation on stdout, which
//! CloudWatch Logs turns into metrics with no API call from the function.

use serde_json::{json, Map, Value};

use crate::app::delivery::InvocationSummary;
use crate::edge::event::Notification;
use crate::logging::LogLevel;
use crate::rule::time::Timestamp;

/// The namespace when `METRICS_NAMESPACE` is not set; an empty one turns the metrics off.
pub const DEFAULT_NAMESPACE: &str = "MskMtlsRule";

/// `METRICS_NAMESPACE` as `env` gives it, or the default.
pub fn namespace(env: impl Fn(&str) -> Option<String>) -> String {
    env("METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// The rule name the metrics are filed under: `CONFIG_RULE_NAME` as `env` gives it (the stack's
/// rule), so that a conformance pack's copy (`<name>-conformance-pack-<suffix>`) and every member
/// account's copy of an organization rule (`OrgConfigRule-<name>-<suffix>`) add up in one
/// dashboard and one alarm; otherwise the event's.
pub fn rule_name_for_metrics(
    env: impl Fn(&str) -> Option<String>,
    event_rule_name: Option<&str>,
) -> Option<String> {
    env("CONFIG_RULE_NAME")
        .filter(|name| !name.is_empty())
        .or_else(|| event_rule_name.map(str::to_owned))
        .filter(|name| !name.is_empty())
}

/// What the metrics are split by, beside the rule: a sweep's counts (a picture of the whole fleet)
/// are never summed with the change events'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Change,
    Oversized,
    Scheduled,
}

impl Trigger {
    pub fn of(notification: &Notification) -> Self {
        match notification {
            Notification::Change(_) => Trigger::Change,
            Notification::Oversized(_) => Trigger::Oversized,
            Notification::Scheduled { .. } => Trigger::Scheduled,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Change => "ConfigurationItemChange",
            Trigger::Oversized => "OversizedConfigurationItemChange",
            Trigger::Scheduled => "Scheduled",
        }
    }
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
    let mut values: Vec<(&str, &str, Value)> = vec![
        ("ClustersEvaluated", "Count", summary.evaluations.into()),
        ("Compliant", "Count", summary.compliant.into()),
        ("NonCompliant", "Count", summary.non_compliant.into()),
        ("NotApplicable", "Count", summary.not_applicable.into()),
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
    let mut follow_ups: Vec<(&str, &str, Value)> = Vec::new();
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

fn directive(namespace: &str, dimensions: &[&[&str]], values: &[(&str, &str, Value)]) -> Value {
    let definitions: Vec<Value> = values
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    json!({"Namespace": namespace, "Dimensions": dimensions, "Metrics": definitions})
}

#[cfg(test)]
mod tests {
    use super::*;

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
            &summary(3, 1, Some(12)),
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
                "MtlsCompliancePercent",
                "CaDaysToExpiry"
            ]
        );
        for name in &names {
            assert!(line[name].is_number(), "{name} has no value");
        }
        assert_eq!(line["ClustersEvaluated"], 5);
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
        let stack = env_of(&[("CONFIG_RULE_NAME", "msk-mtls")]);
        assert_eq!(
            rule_name_for_metrics(&stack, Some("OrgConfigRule-msk-mtls-x1")).as_deref(),
            Some("msk-mtls")
        );
        assert_eq!(
            rule_name_for_metrics(&stack, None).as_deref(),
            Some("msk-mtls")
        );
        for unset in [env_of(&[]), env_of(&[("CONFIG_RULE_NAME", "")])] {
            assert_eq!(
                rule_name_for_metrics(&unset, Some("pack-copy")).as_deref(),
                Some("pack-copy")
            );
            assert_eq!(rule_name_for_metrics(&unset, Some("")), None);
            assert_eq!(rule_name_for_metrics(&unset, None), None);
        }
    }
}
