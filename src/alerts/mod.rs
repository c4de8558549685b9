//! What follows an evaluation the function sends: the clock kept in the annotation, the transition
//! from the result Config held, the alert it gives (`message`), and the time to remediate. Also the
//! sweep's report of Private CAs near expiry or not healthy, with the clusters that trust them. How
//! the function alerts is read once at start (`settings`).

use std::collections::{BTreeMap, BTreeSet};

pub mod message;
pub mod rotation;
pub mod settings;

use crate::alerts::message::{Alert, ClusterPlace};
use crate::aws::ports::Message;
use crate::edge::read::parse_time;
use crate::rule::ca::{CaHealth, CaHealthReport, CaKind, CaTrust, Issuers, TrustedBy, UsageMode};
use crate::rule::checks::Finding;
use crate::rule::evaluation::{ComplianceType, Evaluation, ANNOTATION_MAX_CHARS};
use crate::rule::held::{
    annotation_with_since, split_since, HeldResult, Transition, SINCE_CLOCK_CHARS,
};
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::{reasons_within, Judgement};

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
    /// What the verdict notes without failing on it.
    pub notes: Vec<Finding>,
    pub alert: Option<Alert>,
}

/// Keeps the clock of a NON_COMPLIANT result (from the held result, or starting now), and finds
/// the transition from the held result.
pub fn follow_up(
    held: Option<&HeldResult>,
    judgement: Judgement,
    tags: Option<&BTreeMap<String, String>>,
    owner_tag_keys: &[String],
    context: &Context,
) -> Followed {
    let Judgement {
        mut evaluation,
        findings,
        notes,
    } = judgement;
    // The held result's clock, read once: kept by a NON_COMPLIANT result, ended by any other.
    let held_since = held.and_then(|held| held.open_since(|text| parse_time("since", text).ok()));
    let open_since = held_since
        .filter(|_| evaluation.compliance == ComplianceType::NonCompliant)
        .unwrap_or(evaluation.ordering_timestamp);
    if evaluation.compliance == ComplianceType::NonCompliant {
        let room = ANNOTATION_MAX_CHARS - SINCE_CLOCK_CHARS;
        let reasons = reasons_within(&findings, room);
        evaluation.annotation = Some(annotation_with_since(&reasons, open_since));
    }
    let annotation = evaluation.annotation.as_deref().unwrap_or_default();
    let transition = Transition::between(held, evaluation.compliance, split_since(annotation).0);
    let alert = transition.map(|transition| {
        let open_since = match transition {
            Transition::Opened | Transition::Changed => Some(open_since),
            Transition::Resolved | Transition::Closed => held_since,
            Transition::Noted => None,
        };
        Alert {
            transition,
            compliance: evaluation.compliance,
            resource_type: evaluation.resource_type.to_string(),
            resource_id: evaluation.resource_id.clone(),
            place: place_of(&evaluation.resource_id, context),
            rule_name: context.rule_name.to_owned(),
            reason: (evaluation.compliance == ComplianceType::NotApplicable)
                .then(|| annotation.to_owned()),
            findings: findings.clone(),
            notes: notes.clone(),
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
        notes,
        alert,
    }
}

/// Where a resource is: from its ARN, or, for an id that is not one, where the rule runs.
fn place_of(resource_id: &str, context: &Context) -> ClusterPlace {
    ClusterPlace::from_arn(resource_id).unwrap_or_else(|| ClusterPlace {
        partition: "aws".into(),
        region: context.region.to_owned(),
        account: context.account.to_owned(),
        name: resource_id.to_owned(),
    })
}

pub fn message_of(alert: &Alert) -> Message {
    Message {
        subject: alert.subject(),
        body: alert.body(),
        attributes: alert.attributes(),
    }
}

/// The sweep's report of the CAs that need attention, each with what the rule knows of it (type,
/// usage mode, expiry, who can issue from it) and the clusters of this account and region that trust
/// it; `None` when every CA is fine. A CA needs attention when it expires within `alert_days` or is
/// not healthy, or when a check of the trust anchor the parameters turn on fails for it.
pub fn ca_report(
    (cas, trust): (&CaHealthReport, &CaTrust),
    trusted_by: &TrustedBy,
    params: &RuleParams,
    alert_days: u32,
    now: Timestamp,
    context: &Context,
) -> Option<Message> {
    let arns: BTreeSet<&String> = cas.keys().chain(trust.issuers.keys()).collect();
    let mut lines = Vec::new();
    for arn in arns {
        let clusters = trusted_by.get(arn).map(Vec::as_slice).unwrap_or_default();
        let mut problems: Vec<String> = health_problem(cas.get(arn), alert_days, now)
            .into_iter()
            .collect();
        problems.extend(trust_problems(arn, trust, clusters.len(), params));
        if problems.is_empty() {
            continue;
        }
        lines.push(format!(
            "CA {arn}: {}. {}. Trusted by {} cluster(s):\n{}",
            problems.join("; "),
            ca_profile(arn, cas.get(arn), trust, now),
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
         re-enable the CA, issue clients from a subordinate CA of their own, take other accounts out \
         of its policy, or move the clusters to a healthy CA with aws kafka update-security.\n",
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

/// What is wrong with a CA's health, if anything: not ACTIVE, missing, unreadable, expiring.
fn health_problem(health: Option<&CaHealth>, alert_days: u32, now: Timestamp) -> Option<String> {
    Some(match health? {
        CaHealth::Active { not_after: None } => "ACTIVE, with no expiry on record".to_owned(),
        health @ CaHealth::Active { .. } => match health.days_to_expiry(now) {
            Some(days) if days < 0 => "its certificate has expired".to_owned(),
            Some(days) if days < i64::from(alert_days) => {
                format!("its certificate expires in {days} days")
            }
            _ => return None,
        },
        CaHealth::NotActive { status } => format!("it is {status}, not ACTIVE"),
        CaHealth::NotFound => "it does not exist".to_owned(),
        CaHealth::Unreadable { reason } => format!("it could not be read ({reason})"),
    })
}

/// What the trust anchor's checks (as the parameters turn them on) find wrong with a CA.
fn trust_problems(arn: &str, trust: &CaTrust, clusters: usize, params: &RuleParams) -> Vec<String> {
    let mut problems = Vec::new();
    match trust.profiles.get(arn) {
        Some(profile)
            if profile.kind != CaKind::Subordinate && !params.allow_root_certificate_authority =>
        {
            problems.push(format!("it is a {} CA trusted directly", profile.kind));
        }
        _ => {}
    }
    match trust.issuers.get(arn) {
        Some(Issuers::Known(issuers)) => {
            let outside: Vec<&str> = issuers
                .iter()
                .filter(|issuer| !params.allowed_issuer_accounts.contains(*issuer))
                .map(String::as_str)
                .collect();
            if !outside.is_empty() {
                problems.push(format!(
                    "principals outside its account can issue from it ({})",
                    outside.join(", ")
                ));
            }
        }
        Some(Issuers::Unknown(reason)) => {
            problems.push(format!("its resource policy could not be read ({reason})"))
        }
        None => {}
    }
    if params.certificate_authority_per_cluster && clusters > 1 {
        problems.push(format!("{clusters} clusters trust it, not one"));
    }
    match trust.profiles.get(arn) {
        Some(profile)
            if params.require_short_lived_certificates
                && profile.usage != UsageMode::ShortLivedCertificate =>
        {
            problems.push(format!(
                "it issues {} certificates, not short-lived ones",
                profile.usage
            ));
        }
        _ => {}
    }
    problems
}

/// What the rule read of a CA: its type and usage mode, its expiry, and who can issue from it.
fn ca_profile(arn: &str, health: Option<&CaHealth>, trust: &CaTrust, now: Timestamp) -> String {
    let profile = match trust.profiles.get(arn) {
        Some(profile) => format!("Type {}, usage mode {}", profile.kind, profile.usage),
        None => "Type and usage mode not read".to_owned(),
    };
    let expiry = match health.and_then(|health| health.days_to_expiry(now)) {
        Some(days) if days < 0 => "expired".to_owned(),
        Some(days) => format!("expires in {days} days"),
        None => "expiry not known".to_owned(),
    };
    let issuers = match trust.issuers.get(arn) {
        Some(Issuers::Known(issuers)) if issuers.is_empty() => {
            "only its own account can issue".to_owned()
        }
        Some(Issuers::Known(issuers)) => format!(
            "its own account and {} can issue",
            issuers
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Issuers::Unknown(_)) | None => "who can issue is not known".to_owned(),
    };
    format!("{profile}, {expiry}, {issuers}")
}

/// How many of the CAs looked up let a principal outside their account issue (allowed or not): each
/// can mint clients for every cluster that trusts it.
pub fn shared_cas(trust: &CaTrust) -> usize {
    trust
        .issuers
        .values()
        .filter(|issuers| matches!(issuers, Issuers::Known(outside) if !outside.is_empty()))
        .count()
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

    fn judged(evaluation: Evaluation, findings: Vec<Finding>) -> Judgement {
        Judgement {
            evaluation,
            findings,
            notes: Vec::new(),
        }
    }
    use crate::rule::ca::CaStatus;
    use crate::rule::evaluation::ResourceType;

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

    /// A door's users that fit 256 characters but not beside the clock are summarised, so the
    /// finding stays whole and the clock ends the annotation.
    #[test]
    fn door_users_too_long_beside_the_clock_are_summarised() {
        use crate::rule::doors::{DoorUser, UsedBy};
        use crate::rule::params::SaslMechanism;
        let users = (0..5)
            .map(|n| DoorUser::Connector(format!("orders-connector-{n}")))
            .collect();
        let finding = Finding::SaslNotAllowed(
            SaslMechanism::Iam,
            UsedBy {
                users,
                unread: Vec::new(),
            },
        );
        let full = finding.to_string().chars().count();
        assert!((230..256).contains(&full), "{full}");
        let followed = follow_up(
            None,
            judged(
                evaluation(ComplianceType::NonCompliant, 1_000),
                vec![finding],
            ),
            None,
            &[],
            &CONTEXT,
        );
        assert_eq!(
            followed.evaluation.annotation.as_deref(),
            Some("SASL/IAM is enabled and not allowed (used by MSK Connect connector orders-connector-0 and 4 more) (since 1970-01-01T00:16:40Z)")
        );
    }

    #[test]
    fn the_clock_starts_at_the_first_non_compliant_result_and_survives_re_evaluation() {
        let keys = ["owner".to_owned()];
        let first = follow_up(
            None,
            judged(
                evaluation(ComplianceType::NonCompliant, 1_000),
                vec![Finding::UnauthenticatedAccess(Default::default())],
            ),
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
            judged(
                evaluation(ComplianceType::NonCompliant, 90_000),
                vec![Finding::UnauthenticatedAccess(Default::default())],
            ),
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
            judged(evaluation(ComplianceType::Compliant, 8_200), Vec::new()),
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
        let closed = follow_up(
            Some(&held),
            judged(out_of_scope, Vec::new()),
            None,
            &keys,
            &CONTEXT,
        )
        .alert
        .unwrap();
        assert_eq!(closed.transition, Transition::Closed);
        assert_eq!(
            closed.reason.as_deref(),
            Some("the cluster is not tagged for this rule")
        );
        let opened = follow_up(
            None,
            judged(
                evaluation(ComplianceType::NonCompliant, 1_000),
                vec![Finding::UnauthenticatedAccess(Default::default())],
            ),
            None,
            &keys,
            &CONTEXT,
        )
        .alert
        .unwrap();
        assert_eq!(opened.reason, None);
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
        let trust = crate::rule::ca::unremarkable(&cas);
        let params = RuleParams::default();
        let report = |cas: &CaHealthReport, days, now| {
            ca_report(
                (cas, &crate::rule::ca::unremarkable(cas)),
                &trusted_by,
                &params,
                days,
                now,
                &CONTEXT,
            )
        };
        let message = ca_report((&cas, &trust), &trusted_by, &params, 45, now, &CONTEXT).unwrap();
        assert!(message.body.contains("CA ca/soon: its certificate expires in 44 days. Type SUBORDINATE, usage mode GENERAL_PURPOSE, expires in 44 days, only its own account can issue. Trusted by 2 cluster(s):\n  - cluster-1\n  - cluster-2"), "{}", message.body);
        assert!(message.body.contains(
            "CA ca/off: it is DISABLED, not ACTIVE. Type SUBORDINATE, usage mode GENERAL_PURPOSE, expiry not known, only its own account can issue. Trusted by 1 cluster(s):\n  - cluster-3"
        ), "{}", message.body);
        assert!(!message.body.contains("ca/ok"));
        assert_eq!(message.attributes[0], ("event".into(), "ca-health".into()));
        assert_eq!(
            report(&cas, 44, now).map(|m| m.body.contains("ca/soon")),
            Some(false)
        );
        let healthy = CaHealthReport::from([(
            "ca/ok".to_owned(),
            CaHealth::Active {
                not_after: Some(Timestamp::from_secs(90 * day)),
            },
        )]);
        assert_eq!(report(&healthy, 45, now), None);
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
        let body = report(&boundary, 45, later).unwrap().body;
        assert!(
            body.contains("CA ca/today: its certificate expires in 0 days."),
            "{body}"
        );
        assert!(
            body.contains("CA ca/gone: its certificate has expired."),
            "{body}"
        );
        assert!(
            body.contains("usage mode GENERAL_PURPOSE, expires in 0 days, only"),
            "{body}"
        );
        assert!(
            body.contains("usage mode GENERAL_PURPOSE, expired, only"),
            "{body}"
        );
        assert_eq!(unhealthy_cas(&cas), 1);
        assert_eq!(unhealthy_cas(&boundary), 0, "expiring is not yet unhealthy");
        assert_eq!(unhealthy_cas(&CaHealthReport::new()), 0);
    }

    #[test]
    fn the_ca_report_names_a_ca_whose_trust_anchor_fails_with_its_type_mode_and_issuers() {
        let now = Timestamp::from_secs(0);
        let healthy = CaHealth::Active {
            not_after: Some(Timestamp::from_secs(400 * 86_400)),
        };
        let cas = CaHealthReport::from([
            ("ca/root".to_owned(), healthy.clone()),
            ("ca/shared".to_owned(), healthy.clone()),
            ("ca/fine".to_owned(), healthy),
        ]);
        let mut trust = crate::rule::ca::unremarkable(&cas);
        trust.profiles.get_mut("ca/root").unwrap().kind = CaKind::Root;
        trust.issuers.insert(
            "ca/shared".to_owned(),
            Issuers::Known(BTreeSet::from(["444455556666".to_owned()])),
        );
        let trusted_by = BTreeMap::from([
            ("ca/root".to_owned(), vec!["orders".to_owned()]),
            ("ca/shared".to_owned(), vec!["payments".to_owned()]),
            (
                "ca/fine".to_owned(),
                vec!["audit".to_owned(), "billing".to_owned()],
            ),
        ]);
        let params = RuleParams::default();
        let body = ca_report((&cas, &trust), &trusted_by, &params, 30, now, &CONTEXT)
            .unwrap()
            .body;
        assert!(body.contains("CA ca/root: it is a ROOT CA trusted directly. Type ROOT, usage mode GENERAL_PURPOSE, expires in 400 days, only its own account can issue. Trusted by 1 cluster(s):\n  - orders"), "{body}");
        assert!(body.contains("CA ca/shared: principals outside its account can issue from it (444455556666). Type SUBORDINATE, usage mode GENERAL_PURPOSE, expires in 400 days, its own account and 444455556666 can issue."), "{body}");
        assert!(!body.contains("ca/fine"), "{body}");
        let strict = RuleParams {
            allow_root_certificate_authority: true,
            allowed_issuer_accounts: BTreeSet::from(["444455556666".to_owned()]),
            certificate_authority_per_cluster: true,
            require_short_lived_certificates: true,
            ..RuleParams::default()
        };
        let body = ca_report((&cas, &trust), &trusted_by, &strict, 30, now, &CONTEXT)
            .unwrap()
            .body;
        assert!(body.contains("CA ca/fine: 2 clusters trust it, not one; it issues GENERAL_PURPOSE certificates, not short-lived ones."), "{body}");
        assert!(
            !body.contains("ROOT CA trusted directly") && !body.contains("principals outside"),
            "{body}"
        );
        assert!(
            !body.contains("1 clusters trust it"),
            "a CA of one cluster is dedicated: {body}"
        );
        assert_eq!(shared_cas(&trust), 1);
        trust.issuers.insert(
            "ca/fine".to_owned(),
            Issuers::Unknown("AccessDeniedException".into()),
        );
        assert_eq!(
            shared_cas(&trust),
            1,
            "a policy not read is not counted as shared"
        );
    }
}
