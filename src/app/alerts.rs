//! What follows an evaluation the function sends: the clock kept in the annotation, the transition
//! from the result Config held, the alert it gives, and the time to remediate. Also the sweep's
//! report of Private CAs near expiry or not healthy, with the clusters that trust them.

use std::collections::BTreeMap;

use crate::aws::ports::Message;
use crate::edge::event::parse_time;
use crate::error::RuleError;
use crate::rule::alert::{
    annotation_with_since, parse_owner_tag_keys, split_since, Alert, ClusterPlace, HeldResult,
    Transition,
};
use crate::rule::checks::Finding;
use crate::rule::evaluation::{ComplianceType, Evaluation};
use crate::rule::time::Timestamp;
use crate::rule::verdict::{CaHealth, CaHealthReport};

/// The topic alerts go to (empty or unset: no alerts, the clock and the metrics still kept).
pub const TOPIC_VARIABLE: &str = "ALERT_TOPIC_ARN";
/// Comma list of the tag keys that name a cluster's owner.
pub const OWNER_KEYS_VARIABLE: &str = "OWNER_TAG_KEYS";
/// A sweep reports the CAs that expire within this many days, or are not healthy.
pub const CA_ALERT_DAYS_VARIABLE: &str = "CA_ALERT_DAYS";

/// How the function alerts, read once at start from its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertSettings {
    pub topic_arn: Option<String>,
    pub owner_tag_keys: Vec<String>,
    pub ca_alert_days: Option<u32>,
}

impl AlertSettings {
    /// From the variables as `env` gives them; a blank one counts as unset.
    pub fn from_variables(env: impl Fn(&str) -> Option<String>) -> Result<Self, RuleError> {
        let read = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        Self::parse(
            read(TOPIC_VARIABLE).as_deref(),
            read(OWNER_KEYS_VARIABLE).as_deref(),
            read(CA_ALERT_DAYS_VARIABLE).as_deref(),
        )
    }

    /// Each value is checked, so a typo fails every invocation with its name instead of silencing
    /// the alerts.
    pub fn parse(
        topic: Option<&str>,
        owner_keys: Option<&str>,
        ca_days: Option<&str>,
    ) -> Result<Self, RuleError> {
        let invalid =
            |name: &str, why: String| RuleError::InvalidEnvironment(format!("{name}: {why}"));
        let topic_arn = topic
            .map(|arn| {
                let arn = arn.trim();
                is_topic_arn(arn).then(|| arn.to_owned()).ok_or_else(|| {
                    invalid(TOPIC_VARIABLE, format!("{arn:?} is not an SNS topic ARN"))
                })
            })
            .transpose()?;
        let owner_tag_keys = parse_owner_tag_keys(owner_keys.unwrap_or_default())
            .map_err(|why| invalid(OWNER_KEYS_VARIABLE, why))?;
        let ca_alert_days = ca_days
            .map(|days| {
                days.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|days| *days <= 36_500)
                    .ok_or_else(|| {
                        invalid(
                            CA_ALERT_DAYS_VARIABLE,
                            format!("{days:?} is not a whole number of days from 0 to 36500"),
                        )
                    })
            })
            .transpose()?;
        Ok(AlertSettings {
            topic_arn,
            owner_tag_keys,
            ca_alert_days,
        })
    }
}

fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(parts.as_slice(), ["arn", partition, "sns", region, account, name]
        if partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && name.len() <= 256
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
}

/// What the rule knows about where it runs, for alerts about resources whose id is not an ARN.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub rule_name: &'a str,
    pub account: &'a str,
    pub region: &'a str,
}

/// An evaluation made ready to send, and what it sets off.
#[derive(Debug, Clone, PartialEq)]
pub struct Followed {
    pub evaluation: Evaluation,
    /// Every finding of the verdict (the annotation may shorten them to fit).
    pub findings: Vec<Finding>,
    pub alert: Option<Alert>,
}

/// Keeps the clock of a NON_COMPLIANT result (from the held result, or starting now), and finds
/// the transition from the held result.
pub fn follow_up(
    held: Option<&HeldResult>,
    mut evaluation: Evaluation,
    findings: Vec<Finding>,
    tags: Option<&BTreeMap<String, String>>,
    owner_tag_keys: &[String],
    context: &Context,
) -> Followed {
    // The held result's clock, read once: kept by a NON_COMPLIANT result, ended by any other.
    let held_since = held.and_then(|held| held.open_since(|text| parse_time("since", text).ok()));
    let open_since = held_since
        .filter(|_| evaluation.compliance == ComplianceType::NonCompliant)
        .unwrap_or(evaluation.ordering_timestamp);
    if evaluation.compliance == ComplianceType::NonCompliant {
        let reasons: Vec<String> = findings.iter().map(ToString::to_string).collect();
        evaluation.annotation = Some(annotation_with_since(&reasons, open_since));
    }
    let annotation = evaluation.annotation.as_deref().unwrap_or_default();
    let transition = Transition::between(held, evaluation.compliance, split_since(annotation).0);
    let alert = transition.map(|transition| {
        let place =
            ClusterPlace::from_arn(&evaluation.resource_id).unwrap_or_else(|| ClusterPlace {
                partition: "aws".into(),
                region: context.region.to_owned(),
                account: context.account.to_owned(),
                name: evaluation.resource_id.clone(),
            });
        let open_since = match transition {
            Transition::Opened | Transition::Changed => Some(open_since),
            Transition::Resolved | Transition::Closed => held_since,
        };
        Alert {
            transition,
            compliance: evaluation.compliance,
            resource_type: evaluation.resource_type.to_string(),
            resource_id: evaluation.resource_id.clone(),
            place,
            rule_name: context.rule_name.to_owned(),
            reason: (evaluation.compliance == ComplianceType::NotApplicable)
                .then(|| annotation.to_owned()),
            findings: findings.clone(),
            owners: owner_tag_keys
                .iter()
                .map(|key| (key.clone(), tags.and_then(|tags| tags.get(key)).cloned()))
                .collect(),
            open_since,
            at: evaluation.ordering_timestamp,
        }
    });
    Followed {
        evaluation,
        findings,
        alert,
    }
}

pub fn message_of(alert: &Alert) -> Message {
    Message {
        subject: alert.subject(),
        body: alert.body(),
        attributes: alert.attributes(),
    }
}

/// The sweep's report of the CAs that expire within `alert_days` or are not healthy, each with the
/// clusters of this account and region that trust it; `None` when every CA is fine.
pub fn ca_report(
    cas: &CaHealthReport,
    trusted_by: &BTreeMap<String, Vec<String>>,
    alert_days: u32,
    now: Timestamp,
    context: &Context,
) -> Option<Message> {
    let mut lines = Vec::new();
    for (arn, health) in cas {
        let problem = match health {
            CaHealth::Active { not_after: None } => "ACTIVE, with no expiry on record".to_owned(),
            CaHealth::Active { .. } => match health.days_to_expiry(now) {
                Some(days) if days < 0 => "its certificate has expired".to_owned(),
                Some(days) if days < i64::from(alert_days) => {
                    format!("its certificate expires in {days} days")
                }
                _ => continue,
            },
            CaHealth::NotActive { status } => format!("it is {status}, not ACTIVE"),
            CaHealth::NotFound => "it does not exist".to_owned(),
            CaHealth::Unreadable { reason } => format!("it could not be read ({reason})"),
        };
        let clusters = trusted_by.get(arn).map(Vec::as_slice).unwrap_or_default();
        lines.push(format!(
            "CA {arn}: {problem}. Trusted by {} cluster(s):\n{}",
            clusters.len(),
            clusters
                .iter()
                .map(|cluster| format!("  - {cluster}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    if lines.is_empty() {
        return None;
    }
    let body = format!(
        "{} Private CA(s) that MSK clusters in account {}, {} trust need attention (alert at {} days \
         before expiry; rule {}):\n\n{}\n\nRenew the CA certificate (issue and import a new one), \
         re-enable the CA, or move the clusters to a healthy CA with aws kafka update-security.\n",
        lines.len(),
        context.account,
        context.region,
        alert_days,
        context.rule_name,
        lines.join("\n\n")
    );
    Some(Message {
        subject: format!(
            "Private CAs of MSK clusters need attention in {}",
            context.account
        ),
        body,
        attributes: vec![
            ("event".into(), "ca-health".into()),
            ("account".into(), context.account.to_owned()),
            ("region".into(), context.region.to_owned()),
        ],
    })
}

/// How many of the CAs looked up are not ACTIVE, do not exist or could not be read.
pub fn unhealthy_cas(cas: &CaHealthReport) -> usize {
    cas.values()
        .filter(|health| !matches!(health, CaHealth::Active { .. }))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::evaluation::ResourceType;
    use crate::rule::verdict::CaStatus;

    const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc-5";
    const CONTEXT: Context = Context {
        rule_name: "msk-mtls-enforced",
        account: "123456789012",
        region: "us-east-1",
    };

    fn evaluation(compliance: ComplianceType, at: i64) -> Evaluation {
        Evaluation {
            resource_type: ResourceType::MskCluster,
            resource_id: ARN.into(),
            compliance,
            annotation: None,
            ordering_timestamp: Timestamp::from_secs(at),
        }
    }

    fn tags() -> BTreeMap<String, String> {
        BTreeMap::from([("owner".to_owned(), "team-a".to_owned())])
    }

    #[test]
    fn the_clock_starts_at_the_first_non_compliant_result_and_survives_re_evaluation() {
        let keys = ["owner".to_owned()];
        let first = follow_up(
            None,
            evaluation(ComplianceType::NonCompliant, 1_000),
            vec![Finding::UnauthenticatedAccess],
            Some(&tags()),
            &keys,
            &CONTEXT,
        );
        let annotation = first.evaluation.annotation.clone().unwrap();
        assert_eq!(
            annotation,
            "unauthenticated access is enabled (since 1970-01-01T00:16:40Z)"
        );
        assert_eq!(first.alert.as_ref().unwrap().transition, Transition::Opened);
        let held = HeldResult {
            compliance: ComplianceType::NonCompliant,
            annotation: Some(annotation.clone()),
        };
        // A later sweep, same findings: the same annotation, no alert.
        let again = follow_up(
            Some(&held),
            evaluation(ComplianceType::NonCompliant, 90_000),
            vec![Finding::UnauthenticatedAccess],
            Some(&tags()),
            &keys,
            &CONTEXT,
        );
        assert_eq!(
            again.evaluation.annotation.as_deref(),
            Some(annotation.as_str())
        );
        assert_eq!(again.alert, None);
        // Fixed: resolved, with the time since the first result.
        let fixed = follow_up(
            Some(&held),
            evaluation(ComplianceType::Compliant, 8_200),
            Vec::new(),
            Some(&tags()),
            &keys,
            &CONTEXT,
        );
        let alert = fixed.alert.unwrap();
        assert_eq!(alert.transition, Transition::Resolved);
        assert_eq!(alert.time_to_remediate(), Some(7_200));
        assert_eq!(fixed.evaluation.annotation, None);
        assert!(alert
            .attributes()
            .contains(&("owner".into(), "team-a".into())));
    }

    #[test]
    fn only_a_cluster_leaving_the_scope_carries_why_in_its_alert() {
        let keys = ["owner".to_owned()];
        let held = HeldResult {
            compliance: ComplianceType::NonCompliant,
            annotation: Some(
                "unauthenticated access is enabled (since 1970-01-01T00:16:40Z)".into(),
            ),
        };
        let mut out_of_scope = evaluation(ComplianceType::NotApplicable, 2_000);
        out_of_scope.annotation = Some("the cluster is not tagged for this rule".into());
        let closed = follow_up(Some(&held), out_of_scope, Vec::new(), None, &keys, &CONTEXT)
            .alert
            .unwrap();
        assert_eq!(closed.transition, Transition::Closed);
        assert_eq!(
            closed.reason.as_deref(),
            Some("the cluster is not tagged for this rule")
        );
        let opened = follow_up(
            None,
            evaluation(ComplianceType::NonCompliant, 1_000),
            vec![Finding::UnauthenticatedAccess],
            None,
            &keys,
            &CONTEXT,
        )
        .alert
        .unwrap();
        assert_eq!(opened.reason, None);
    }

    #[test]
    fn settings_read_from_variables_take_a_blank_one_as_unset() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(
            AlertSettings::from_variables(env(&[
                (TOPIC_VARIABLE, "arn:aws:sns:us-east-1:123456789012:alerts"),
                (OWNER_KEYS_VARIABLE, "owner"),
                (CA_ALERT_DAYS_VARIABLE, "30"),
            ]))
            .unwrap(),
            AlertSettings {
                topic_arn: Some("arn:aws:sns:us-east-1:123456789012:alerts".into()),
                owner_tag_keys: vec!["owner".into()],
                ca_alert_days: Some(30),
            }
        );
        let blank = AlertSettings::from_variables(env(&[
            (TOPIC_VARIABLE, " "),
            (OWNER_KEYS_VARIABLE, ""),
            (CA_ALERT_DAYS_VARIABLE, "  "),
        ]))
        .unwrap();
        assert_eq!(blank, AlertSettings::parse(None, None, None).unwrap());
        let error = AlertSettings::from_variables(env(&[(TOPIC_VARIABLE, "alerts")])).unwrap_err();
        assert!(error.to_string().contains(TOPIC_VARIABLE), "{error}");
    }

    #[test]
    fn settings_fail_closed_naming_the_variable() {
        assert_eq!(
            AlertSettings::parse(None, None, None).unwrap(),
            AlertSettings::default()
        );
        let good = AlertSettings::parse(
            Some("arn:aws:sns:us-east-1:123456789012:alerts"),
            Some("owner,team"),
            Some("45"),
        )
        .unwrap();
        assert_eq!(good.owner_tag_keys, ["owner", "team"]);
        assert_eq!(good.ca_alert_days, Some(45));
        for (topic, keys, days, name) in [
            (
                Some("arn:aws:sqs:us-east-1:123456789012:alerts"),
                None,
                None,
                TOPIC_VARIABLE,
            ),
            (Some("alerts"), None, None, TOPIC_VARIABLE),
            (None, Some("owner,region"), None, OWNER_KEYS_VARIABLE),
            (None, None, Some("-1"), CA_ALERT_DAYS_VARIABLE),
            (None, None, Some("36501"), CA_ALERT_DAYS_VARIABLE),
        ] {
            let error = AlertSettings::parse(topic, keys, days)
                .unwrap_err()
                .to_string();
            assert!(error.contains(name), "{error}");
        }
    }

    #[test]
    fn the_ca_report_names_each_ca_in_trouble_with_the_clusters_that_trust_it() {
        let now = Timestamp::from_secs(0);
        let day = 86_400;
        let cas = CaHealthReport::from([
            (
                "ca/ok".to_owned(),
                CaHealth::Active {
                    not_after: Some(Timestamp::from_secs(90 * day)),
                },
            ),
            (
                "ca/soon".to_owned(),
                CaHealth::Active {
                    not_after: Some(Timestamp::from_secs(44 * day + 10)),
                },
            ),
            (
                "ca/off".to_owned(),
                CaHealth::NotActive {
                    status: CaStatus::Disabled,
                },
            ),
        ]);
        let trusted_by = BTreeMap::from([
            (
                "ca/soon".to_owned(),
                vec!["cluster-1".to_owned(), "cluster-2".to_owned()],
            ),
            ("ca/off".to_owned(), vec!["cluster-3".to_owned()]),
        ]);
        let message = ca_report(&cas, &trusted_by, 45, now, &CONTEXT).unwrap();
        assert!(message.body.contains("CA ca/soon: its certificate expires in 44 days. Trusted by 2 cluster(s):\n  - cluster-1\n  - cluster-2"), "{}", message.body);
        assert!(message.body.contains(
            "CA ca/off: it is DISABLED, not ACTIVE. Trusted by 1 cluster(s):\n  - cluster-3"
        ));
        assert!(!message.body.contains("ca/ok"));
        assert_eq!(message.attributes[0], ("event".into(), "ca-health".into()));
        assert_eq!(
            ca_report(&cas, &trusted_by, 44, now, &CONTEXT).map(|m| m.body.contains("ca/soon")),
            Some(false)
        );
        let healthy = CaHealthReport::from([(
            "ca/ok".to_owned(),
            CaHealth::Active {
                not_after: Some(Timestamp::from_secs(90 * day)),
            },
        )]);
        assert_eq!(ca_report(&healthy, &trusted_by, 45, now, &CONTEXT), None);
        // The boundary: a certificate that ends later today has 0 days left, not expired.
        let later = Timestamp::from_secs(day * 10);
        let boundary = CaHealthReport::from([
            (
                "ca/today".to_owned(),
                CaHealth::Active {
                    not_after: Some(Timestamp::from_secs(day * 10 + 10)),
                },
            ),
            (
                "ca/gone".to_owned(),
                CaHealth::Active {
                    not_after: Some(Timestamp::from_secs(day * 10 - 10)),
                },
            ),
        ]);
        let body = ca_report(&boundary, &trusted_by, 45, later, &CONTEXT)
            .unwrap()
            .body;
        assert!(
            body.contains("CA ca/today: its certificate expires in 0 days."),
            "{body}"
        );
        assert!(
            body.contains("CA ca/gone: its certificate has expired."),
            "{body}"
        );
        assert_eq!(unhealthy_cas(&cas), 1);
        assert_eq!(unhealthy_cas(&boundary), 0, "expiring is not yet unhealthy");
        assert_eq!(unhealthy_cas(&CaHealthReport::new()), 0);
    }
}
