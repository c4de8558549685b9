//! An alert's message: the subject, the body with every failed check and its fix, the owner, the
//! console link, and the attributes a subscription filters on. Pure text; the transition it is
//! about comes from `rule::held`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::rule::arn::ClusterArn;
use crate::rule::checks::{plain, Check, Finding, InPlace, CHECKS};
use crate::rule::evaluation::ComplianceType;
use crate::rule::held::Transition;
use crate::rule::time::Timestamp;

/// SNS takes at most 10 message attributes; five are the alert's own.
pub const MAX_OWNER_TAG_KEYS: usize = 5;
/// The attributes every alert carries, beside the owner tags.
pub const FIXED_ATTRIBUTES: [&str; 5] = ["event", "compliance", "account", "region", "cluster"];
/// SNS takes a subject of fewer than 100 ASCII characters ("must be less than 100 characters"):
/// one of exactly 100 is refused, and with it the alert.
const MAX_SUBJECT_CHARS: usize = 99;

/// Where a cluster lives, read from its ARN (`arn:<partition>:kafka:<region>:<account>:cluster/<name>/<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPlace {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl ClusterPlace {
    pub fn from_arn(arn: &str) -> Option<Self> {
        let arn = ClusterArn::parse(arn)?;
        Some(ClusterPlace {
            partition: arn.partition().to_owned(),
            region: arn.region().to_owned(),
            account: arn.account().to_owned(),
            name: arn.name().to_owned(),
        })
    }

    /// The resource's page in the Config console, for the partitions with a public console.
    pub fn console_link(&self, resource_type: &str, resource_id: &str) -> Option<String> {
        let host = match self.partition.as_str() {
            "aws" => "console.aws.amazon.com",
            "aws-cn" => "console.amazonaws.cn",
            "aws-us-gov" => "console.amazonaws-us-gov.com",
            _ => return None,
        };
        Some(format!(
            "https://{region}.{host}/config/home?region={region}#/resources/details?resourceId={}&resourceType={}",
            percent_encode(resource_id),
            percent_encode(resource_type),
            region = self.region,
        ))
    }
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// One alert: everything the owner needs to act, and the attributes a subscription filters on.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub transition: Transition,
    pub compliance: ComplianceType,
    pub resource_type: String,
    pub resource_id: String,
    pub place: ClusterPlace,
    pub rule_name: String,
    pub findings: Vec<Finding>,
    /// What the verdict notes without failing on it (an open ACL default).
    pub notes: Vec<Finding>,
    /// NOT_APPLICABLE's reason, for a closed alert.
    pub reason: Option<String>,
    /// The owner tag keys, in the order configured, with the cluster's values (if tagged).
    pub owners: Vec<(String, Option<String>)>,
    pub open_since: Option<Timestamp>,
    pub at: Timestamp,
}

impl Alert {
    /// Seconds from the first NON_COMPLIANT result to the COMPLIANT one, for a resolved alert.
    pub fn time_to_remediate(&self) -> Option<i64> {
        match (self.transition, self.open_since) {
            (Transition::Resolved, Some(since)) => Some((self.at.secs() - since.secs()).max(0)),
            _ => None,
        }
    }

    pub fn subject(&self) -> String {
        let what = match self.transition {
            Transition::Opened => "lets clients in without mTLS",
            Transition::Changed => "still lacks mTLS, for other reasons",
            Transition::Resolved => "enforces mTLS again",
            Transition::Closed => "is no longer judged",
            Transition::Noted => "enforces mTLS, with changed notes",
        };
        let subject = format!("MSK cluster {} {what}", self.place.name);
        ascii_within(&subject, MAX_SUBJECT_CHARS)
    }

    /// The message: plain text, for e-mail and chat alike.
    pub fn body(&self) -> String {
        let mut text = String::new();
        self.write_header(&mut text);
        self.write_clock(&mut text);
        if let Some(reason) = &self.reason {
            let _ = writeln!(text, "Why:      {}", printable(reason));
        }
        self.write_fixes(&mut text);
        self.write_notes(&mut text);
        if let Some(link) = self
            .place
            .console_link(&self.resource_type, &self.resource_id)
        {
            let _ = writeln!(text, "\nIn the Config console: {link}");
        }
        text
    }

    /// The headline, then the cluster, where it is, who owns it, and the alert's id.
    fn write_header(&self, text: &mut String) {
        let headline = match self.transition {
            Transition::Opened => "does not enforce mutual TLS",
            Transition::Changed => "still does not enforce mutual TLS, and what fails has changed",
            Transition::Resolved => "enforces mutual TLS again",
            Transition::Closed => "is no longer judged by the rule",
            Transition::Noted => "enforces mutual TLS, and what it notes has changed",
        };
        let _ = writeln!(
            text,
            "MSK cluster {} {headline} ({}).\n",
            printable(&self.place.name),
            self.compliance.as_str()
        );
        let _ = writeln!(
            text,
            "Cluster:  {} ({})",
            printable(&self.resource_id),
            printable(&self.resource_type)
        );
        let _ = writeln!(text, "Account:  {}", printable(&self.place.account));
        let _ = writeln!(text, "Region:   {}", printable(&self.place.region));
        let owners: Vec<String> = self
            .owners
            .iter()
            .map(|(key, value)| {
                format!(
                    "{key}={}",
                    printable(value.as_deref().unwrap_or("(not tagged)"))
                )
            })
            .collect();
        if !owners.is_empty() {
            let _ = writeln!(text, "Owner:    {}", owners.join(", "));
        }
        let _ = writeln!(text, "Rule:     {}", printable(&self.rule_name));
        let _ = writeln!(text, "Alert:    {}", self.id());
    }

    /// Since when the cluster has been open, and on resolution the time to remediate.
    fn write_clock(&self, text: &mut String) {
        match (self.transition, self.open_since) {
            (Transition::Resolved, Some(since)) => {
                let seconds = self.time_to_remediate().unwrap_or_default();
                let _ = writeln!(
                    text,
                    "Open:     since {since}, resolved {}: time to remediate {} ({seconds} s)",
                    self.at,
                    duration(seconds)
                );
            }
            (Transition::Resolved | Transition::Closed, None) => {
                let _ = writeln!(
                    text,
                    "Open:     since an unknown time (no clock in the held result)"
                );
            }
            (_, Some(since)) => {
                let _ = writeln!(text, "Open:     since {since}");
            }
            (_, None) => {}
        }
    }

    /// What the verdict notes without failing on it, with the check's fix.
    fn write_notes(&self, text: &mut String) {
        if self.notes.is_empty() {
            return;
        }
        let _ = writeln!(text, "\nNoted, not failing under the rule's parameters:");
        for note in &self.notes {
            let _ = writeln!(
                text,
                "- {}: {}",
                note.check().name,
                printable(&note.to_string())
            );
            let _ = writeln!(
                text,
                "  Fix:            {}",
                plain(&note.check().remediation.in_place.to_string())
            );
        }
    }

    /// Every failed check once, with its findings and its fix.
    fn write_fixes(&self, text: &mut String) {
        if self.findings.is_empty() {
            return;
        }
        let _ = writeln!(text, "\nWhat fails, and the fix:");
        for (number, (check, findings)) in self.by_check().into_iter().enumerate() {
            let named: Vec<String> = findings.iter().map(|f| printable(&f.to_string())).collect();
            let _ = writeln!(text, "{}. {}: {}", number + 1, check.name, named.join("; "));
            let fix = &check.remediation;
            match fix.in_place {
                InPlace::Command(command) => {
                    let _ = writeln!(text, "   Now:            {command}");
                }
                InPlace::NotPossible(why) => {
                    let _ = writeln!(text, "   Now:            not in place: {}", plain(why));
                }
                InPlace::AfterFirst { first, command } => {
                    let _ = writeln!(text, "   First:          {}", plain(first));
                    let _ = writeln!(text, "   Now:            {command}");
                }
            }
            let _ = writeln!(text, "   CloudFormation: {}", plain(fix.cloudformation));
            let _ = writeln!(text, "   Terraform:      {}", plain(fix.terraform));
        }
    }

    /// The findings grouped by check, in the table's order.
    fn by_check(&self) -> Vec<(&'static Check, Vec<&Finding>)> {
        let mut groups: BTreeMap<usize, (&'static Check, Vec<&Finding>)> = BTreeMap::new();
        for finding in &self.findings {
            let check = finding.check();
            let order = CHECKS.iter().position(|c| c == check).unwrap_or_default();
            groups
                .entry(order)
                .or_insert((check, Vec::new()))
                .1
                .push(finding);
        }
        groups.into_values().collect()
    }

    /// The message attributes: the alert's own, then each owner tag the cluster carries.
    /// The same for every publish of this alert (a retried invocation publishes it again), so a
    /// subscriber can tell a repeat: FNV-1a over the cluster, the transition and the verdict.
    pub fn id(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let reasons: Vec<String> = self.findings.iter().map(ToString::to_string).collect();
        for part in [
            self.resource_id.as_str(),
            self.transition.as_str(),
            self.compliance.as_str(),
            &reasons.join("\n"),
            &self.at.secs().to_string(),
        ] {
            for byte in part.bytes().chain([0]) {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }

    pub fn attributes(&self) -> Vec<(String, String)> {
        let mut attributes: Vec<(String, String)> = [
            ("event", self.transition.as_str().to_owned()),
            ("compliance", self.compliance.as_str().to_owned()),
            ("account", self.place.account.clone()),
            ("region", self.place.region.clone()),
            ("cluster", self.place.name.clone()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), printable(&value)))
        .collect();
        for (key, value) in &self.owners {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                attributes.push((key.clone(), printable(value)));
            }
        }
        attributes
    }
}

/// Text from the cluster (tags, names, ids) with its control characters and Unicode's line and
/// paragraph separators (U+2028, U+2029, which mail and chat clients break lines at) replaced: it
/// can neither forge lines in an alert nor carry what SNS refuses in an attribute.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// `3 d 4 h`, `2 h 5 min`, `40 s`: what a person reads at a glance.
pub fn duration(seconds: i64) -> String {
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn ascii_within(text: &str, max: usize) -> String {
    let ascii: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if ascii.len() <= max {
        return ascii;
    }
    format!("{}...", &ascii[..max - 3])
}

/// The owner tag keys, from the function's `OWNER_TAG_KEYS`: each becomes a message attribute, so
/// each must be a name SNS takes and none may shadow the alert's own.
pub fn parse_owner_tag_keys(text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = text.split(',').map(|key| key.trim().to_owned()).collect();
    if keys.len() > MAX_OWNER_TAG_KEYS {
        return Err(format!(
            "{} keys given, at most {MAX_OWNER_TAG_KEYS}: SNS takes 10 message attributes and the alert uses {}",
            keys.len(),
            FIXED_ATTRIBUTES.len()
        ));
    }
    for (index, key) in keys.iter().enumerate() {
        let valid = !key.is_empty()
            && key.len() <= 128
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(format!(
                "{key:?} is not a tag key an SNS message attribute can be named by (1 to 128 letters, digits, _ or -)"
            ));
        }
        if FIXED_ATTRIBUTES.contains(&key.as_str()) {
            return Err(format!(
                "{key:?} is an attribute every alert carries already"
            ));
        }
        if keys[..index].contains(key) {
            return Err(format!("{key:?} is given twice"));
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::authorization::OpenBecause;
    use crate::rule::facts::ClientBroker;

    const ARN: &str = "arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0b1c-5";

    /// The same alert published twice (a retried invocation) carries the same id; another
    /// verdict or cluster another.
    #[test]
    fn an_alert_has_the_same_id_on_every_publish() {
        let first = alert(Transition::Opened);
        assert_eq!(first.id(), alert(Transition::Opened).id());
        assert_eq!(first.id().len(), 16);
        assert_ne!(first.id(), alert(Transition::Changed).id());
        let mut other = alert(Transition::Opened);
        other.resource_id.push('x');
        assert_ne!(first.id(), other.id());
        assert!(first.body().contains(&format!("Alert:    {}", first.id())));
    }

    #[test]
    fn a_place_is_read_from_an_msk_arn_only() {
        let place = ClusterPlace::from_arn(ARN).unwrap();
        assert_eq!(
            (
                place.partition.as_str(),
                place.region.as_str(),
                place.account.as_str(),
                place.name.as_str()
            ),
            ("aws", "eu-west-1", "111122223333", "orders")
        );
        for bad in [
            "arn:aws:kafka:eu-west-1:1111:cluster/orders/x",
            "arn:aws:s3:eu-west-1:111122223333:cluster/orders/x",
            "arn:aws:kafka:eu-west-1:111122223333:topic/orders/x",
            "arn:aws:kafka::111122223333:cluster/orders/x",
            "orders",
        ] {
            assert_eq!(ClusterPlace::from_arn(bad), None, "{bad}");
        }
        assert_eq!(
            place.console_link("AWS::MSK::Cluster", ARN).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/config/home?region=eu-west-1#/resources/details?\
             resourceId=arn%3Aaws%3Akafka%3Aeu-west-1%3A111122223333%3Acluster%2Forders%2F0b1c-5\
             &resourceType=AWS%3A%3AMSK%3A%3ACluster"
        );
        for (partition, host) in [
            (
                "aws-cn",
                "https://eu-west-1.console.amazonaws.cn/config/home?",
            ),
            (
                "aws-us-gov",
                "https://eu-west-1.console.amazonaws-us-gov.com/config/home?",
            ),
        ] {
            let other = ClusterPlace {
                partition: partition.into(),
                ..place.clone()
            };
            let link = other.console_link("AWS::MSK::Cluster", ARN).unwrap();
            assert!(link.starts_with(host), "{link}");
        }
        let iso = ClusterPlace {
            partition: "aws-iso".into(),
            ..place
        };
        assert_eq!(iso.console_link("AWS::MSK::Cluster", ARN), None);
    }

    fn alert(transition: Transition) -> Alert {
        Alert {
            transition,
            compliance: ComplianceType::NonCompliant,
            resource_type: "AWS::MSK::Cluster".into(),
            resource_id: ARN.into(),
            place: ClusterPlace::from_arn(ARN).unwrap(),
            rule_name: "msk-mtls-enforced".into(),
            notes: Vec::new(),
            findings: vec![
                Finding::UnauthenticatedAccess(Default::default()),
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::TlsPlaintext),
                },
                Finding::CertificateAuthorityNotFound(
                    "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/a".into(),
                ),
                Finding::CertificateAuthorityNotFound(
                    "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/b".into(),
                ),
            ],
            reason: None,
            owners: vec![
                ("owner".into(), Some("team-a".into())),
                ("team".into(), None),
            ],
            open_since: Some(Timestamp::from_secs(1_764_345_600)),
            at: Timestamp::from_secs(1_764_345_600 + 3 * 3_600 + 120),
        }
    }

    #[test]
    fn an_alert_names_every_failed_check_once_with_its_fix_the_owner_and_the_link() {
        let body = alert(Transition::Opened).body();
        for needle in [
            "MSK cluster orders does not enforce mutual TLS (NON_COMPLIANT)",
            "Account:  111122223333",
            "Region:   eu-west-1",
            "Owner:    owner=team-a, team=(not tagged)",
            "Open:     since 2025-11-28T16:00:00Z",
            "1. unauthenticated access: unauthenticated access is enabled",
            "2. TLS-only listener:",
            "3. CA health: CA a does not exist; CA b does not exist",
            "--encryption-info '{\"EncryptionInTransit\":{\"ClientBroker\":\"TLS\"}}'",
            "CloudFormation: ClientAuthentication.Unauthenticated.Enabled: false",
            "Terraform:      client_authentication { unauthenticated = false }",
            "https://eu-west-1.console.aws.amazon.com/config/home",
        ] {
            assert!(body.contains(needle), "{needle:?} missing from:\n{body}");
        }
        assert_eq!(body.matches("CA health").count(), 1, "{body}");
    }

    #[test]
    fn a_resolved_alert_gives_the_time_to_remediate() {
        let mut resolved = alert(Transition::Resolved);
        resolved.compliance = ComplianceType::Compliant;
        resolved.findings.clear();
        assert_eq!(resolved.time_to_remediate(), Some(3 * 3_600 + 120));
        assert!(
            resolved
                .body()
                .contains("time to remediate 3 h 2 min (10920 s)"),
            "{}",
            resolved.body()
        );
        assert_eq!(resolved.subject(), "MSK cluster orders enforces mTLS again");
        assert!(!resolved.body().contains("Noted"), "{}", resolved.body());
        resolved.notes = vec![Finding::AuthorizationOpenByDefault(
            OpenBecause::MskDefaultConfiguration,
        )];
        let body = resolved.body();
        for needle in [
            "Noted, not failing under the rule's parameters:\n- authorization closed by default: authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true",
            "  Fix:            first create the ACLs every client needs",
            "aws kafka update-cluster-configuration --cluster-arn <arn>",
        ] {
            assert!(body.contains(needle), "{needle:?} missing from:\n{body}");
        }
        resolved.open_since = None;
        assert_eq!(resolved.time_to_remediate(), None);
        assert_eq!(alert(Transition::Opened).time_to_remediate(), None);
    }

    #[test]
    fn attributes_carry_what_a_filter_policy_needs_and_skip_missing_owners() {
        let attributes = alert(Transition::Changed).attributes();
        let names: Vec<&str> = attributes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "event",
                "compliance",
                "account",
                "region",
                "cluster",
                "owner"
            ]
        );
        assert_eq!(attributes[0].1, "changed");
        assert_eq!(attributes[5].1, "team-a");
        assert!(attributes.len() <= 10);
    }

    #[test]
    fn text_from_the_cluster_cannot_forge_lines_or_attributes() {
        let mut forged = alert(Transition::Opened);
        forged.owners = vec![
            (
                "owner".into(),
                Some("team-a\nNow:            aws kafka delete-cluster\u{0}".into()),
            ),
            ("team".into(), Some("a\u{2028}Now: b\u{2029}c".into())),
        ];
        forged.place.name = "orders\r\nAccount:  999999999999".into();
        forged.findings = vec![
            Finding::MissingTag("a\nb".into()),
            Finding::CertificateAuthorityNotFound("ca/x\ny".into()),
        ];
        let body = forged.body();
        assert!(
            !body.contains("\nNow:            aws kafka delete-cluster"),
            "{body}"
        );
        assert!(!body.contains("\nAccount:  999999999999"), "{body}");
        assert!(
            body.contains("Owner:    owner=team-a?Now:            aws kafka delete-cluster?"),
            "{body}"
        );
        assert!(body.contains("CA ca/x?y does not exist"), "{body}");
        assert!(
            !body.contains('\u{2028}') && !body.contains('\u{2029}'),
            "{body}"
        );
        assert!(body.contains("team=a?Now: b?c"), "{body}");
        for (_, value) in forged.attributes() {
            assert!(
                !value
                    .chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_subject_is_ascii_and_under_100_characters() {
        let mut long = alert(Transition::Opened);
        long.place.name = format!("é{}", "n".repeat(120));
        let subject = long.subject();
        assert!(subject.is_ascii() && subject.len() == 99, "{subject}");
    }

    #[test]
    fn owner_tag_keys_are_names_sns_takes_and_never_the_alert_s_own() {
        assert_eq!(
            parse_owner_tag_keys(" owner, team ").unwrap(),
            ["owner", "team"]
        );
        assert_eq!(parse_owner_tag_keys("").unwrap(), Vec::<String>::new());
        assert!(parse_owner_tag_keys("a,b,c,d,e,f")
            .unwrap_err()
            .contains("6 keys"));
        for bad in [
            "owner,",
            "team name",
            "owner,owner",
            "region",
            "aws:owner",
            &"k".repeat(129),
        ] {
            let error = parse_owner_tag_keys(bad).unwrap_err();
            assert!(!error.is_empty(), "{bad}");
        }
        assert!(parse_owner_tag_keys("a,b,c,d,e").is_ok());
        assert_eq!(
            parse_owner_tag_keys("cost-center,data_owner,Team9").unwrap(),
            ["cost-center", "data_owner", "Team9"]
        );
        assert!(parse_owner_tag_keys(&"k".repeat(128)).is_ok());
    }

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(40), "40 s");
        assert_eq!(duration(300), "5 min");
        assert_eq!(duration(7_500), "2 h 5 min");
        assert_eq!(duration(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
    }

    /// docs/alerts.md's sample alert is what `Alert` renders. `MSK_MTLS_RULE_WRITE_DOCS=1 cargo test
    /// --lib docs` rewrites it.
    #[test]
    fn the_docs_sample_alert_is_what_an_alert_renders() {
        let arn = "arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0b1c2d3e-5";
        let opened = Alert {
            transition: Transition::Opened,
            compliance: ComplianceType::NonCompliant,
            resource_type: "AWS::MSK::Cluster".into(),
            resource_id: arn.into(),
            place: ClusterPlace::from_arn(arn).unwrap(),
            rule_name: "msk-mtls-enforced".into(),
            notes: Vec::new(),
            findings: vec![
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::TlsPlaintext),
                },
                Finding::SaslNotAllowed(
                    crate::rule::params::SaslMechanism::Scram,
                    Default::default(),
                ),
            ],
            reason: None,
            owners: vec![
                ("owner".into(), Some("payments-team".into())),
                ("team".into(), Some("payments".into())),
            ],
            open_since: Some(Timestamp::from_secs(1_793_520_000)),
            at: Timestamp::from_secs(1_793_520_000),
        };
        let resolved = Alert {
            transition: Transition::Resolved,
            compliance: ComplianceType::Compliant,
            findings: Vec::new(),
            at: Timestamp::from_secs(1_793_520_000 + 26 * 3_600 + 15 * 60),
            ..opened.clone()
        };
        let mut text = String::from("```text\n");
        for alert in [&opened, &resolved] {
            let attributes: Vec<String> = alert
                .attributes()
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            text.push_str(&format!(
                "Subject:    {}\nAttributes: {}\n\n",
                alert.subject(),
                attributes.join(", ")
            ));
            let body = alert.body();
            let body = if alert.transition == Transition::Resolved {
                body.lines()
                    .filter(|line| line.starts_with("MSK") || line.starts_with("Open:"))
                    .collect::<Vec<_>>()
                    .join("\n")
                    + "\n"
            } else {
                body
            };
            text.push_str(&body);
            text.push_str(if alert.transition == Transition::Opened {
                "\n----\n\n"
            } else {
                ""
            });
        }
        text.push_str("```\n");
        crate::docs::keep_block(
            "docs/alerts.md",
            "<!-- alert:begin (rendered from src/alerts/message.rs) -->\n",
            "<!-- alert:end -->",
            &text,
        );
    }
}
