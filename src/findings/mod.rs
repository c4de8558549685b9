//! Findings where security teams already look: one per cluster and check, as AWS Security Hub
//! (ASFF, `asff`) and SIEMs (OCSF, `ocsf`) take them, and their sending to Security Hub (`send`).
//! Built from what a run judged; nothing here reads AWS but `send`, through its port.

pub mod asff;
pub mod ocsf;
pub mod probe;
pub mod send;

use crate::rule::arn::cluster_name_or_id;
use crate::rule::checks::{plain, InPlace, Severity};
use crate::rule::facts::ClusterFacts;
use crate::rule::outcome::{CheckOutcome, CheckStatus};

/// The tool's name, as ASFF's `ProductName` and OCSF's `metadata.product.name` give it.
pub const PRODUCT: &str = "msk-mtls-rule";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One judged cluster, as the findings name it.
#[derive(Debug, Clone, Copy)]
pub struct JudgedCluster<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub arn: &'a str,
    /// What was read of a provisioned cluster; `None` for a serverless one.
    pub facts: Option<&'a ClusterFacts>,
    pub outcomes: &'a [CheckOutcome],
}

impl JudgedCluster<'_> {
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        cluster_name_or_id(self.arn)
    }

    /// The partition, from the cluster's ARN (`arn:aws-cn:...`).
    pub fn partition(&self) -> &str {
        self.arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
    }
}

/// A check's name as ids carry it: `CA allow-list` is `ca-allow-list`.
pub fn slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            ' ' | '-' => Some('-'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// One finding's content, whatever the format that carries it: a check's outcome on a cluster, or
/// a probe of its brokers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// What the finding is of, as ids carry it: a check's slug, or `probe`.
    pub of: String,
    /// The check's name, or the probe's.
    pub name: String,
    pub description: String,
    /// The fix on the running cluster.
    pub recommendation: String,
    pub status: CheckStatus,
    /// The severity of a failure (a pass is informational).
    pub severity: Severity,
    /// What was seen, name and text (a probe's knocks), at most `EVIDENCE_MAX`.
    pub evidence: Vec<(String, String)>,
}

/// ASFF keeps at most 50 product fields, two of which name the tool and what the finding is of.
pub const EVIDENCE_MAX: usize = 48;

impl Content {
    /// A check's outcome: what it found, or that it passed or was not judged, and its fix (the
    /// CloudFormation property beside the command).
    pub fn of_check(outcome: &CheckOutcome) -> Content {
        let check = outcome.check;
        let description = match outcome.status {
            CheckStatus::Passed => format!("Passed: {}", check.name),
            CheckStatus::NotJudged => format!(
                "Not judged: what the {} check reads could not be read (the CA health finding says why)",
                check.name
            ),
            CheckStatus::Failed | CheckStatus::Noted => outcome.findings.join("; "),
        };
        let fix = &check.remediation;
        let in_place = match fix.in_place {
            InPlace::Command(command) => command.to_owned(),
            other => other.to_string(),
        };
        Content {
            of: slug(check.name),
            name: check.name.to_owned(),
            description,
            recommendation: plain(&format!(
                "{in_place} (CloudFormation: {})",
                fix.cloudformation
            )),
            status: outcome.status,
            severity: check.severity,
            evidence: Vec::new(),
        }
    }

    /// The finding's id, kept from run to run so it is updated in place:
    /// `<account>/<region>/<cluster-arn>/<check>`.
    pub fn id(&self, cluster: &JudgedCluster) -> String {
        format!(
            "{}/{}/{}/{}",
            cluster.account, cluster.region, cluster.arn, self.of
        )
    }

    /// Every finding of one check (or of the probe) shares this generator.
    pub fn generator_id(&self) -> String {
        format!("{PRODUCT}/{}", self.of)
    }

    pub fn title(&self, cluster: &JudgedCluster) -> String {
        format!("MSK cluster {}: {}", cluster.name(), self.name)
    }
}

/// What every generator id of this tool starts with (to find the findings it sent before).
pub fn generator_prefix() -> String {
    format!("{PRODUCT}/")
}

/// The account's own product in Security Hub, to which a custom integration sends.
pub fn product_arn(partition: &str, region: &str, account: &str) -> String {
    format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default")
}

/// `text` cut to `max` characters, marked when cut (ASFF's fields have limits).
pub fn within(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::checks::CHECKS;

    #[test]
    fn every_check_has_its_own_slug_of_ascii_words() {
        let slugs: std::collections::BTreeSet<String> =
            CHECKS.iter().map(|check| slug(check.name)).collect();
        assert_eq!(slugs.len(), CHECKS.len());
        assert!(slugs.contains("ca-allow-list"));
        assert!(slugs.contains("tls-only-listener"));
        assert!(slugs.contains("zookeeper-direct-access"));
        assert!(slugs.iter().all(|s| s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
    }

    #[test]
    fn a_slug_keeps_letters_digits_and_hyphens_alone() {
        assert_eq!(slug("Root CA (v2), TLS-only!"), "root-ca-v2-tls-only");
    }

    #[test]
    fn ids_name_account_region_cluster_and_check() {
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "eu-west-1",
            arn: "arn:aws-cn:kafka:eu-west-1:123456789012:cluster/orders/u-1",
            facts: None,
            outcomes: &[],
        };
        let content = Content::of_check(&CheckOutcome {
            check: &CHECKS[0],
            status: CheckStatus::Passed,
            findings: Vec::new(),
        });
        assert_eq!(
            content.id(&cluster),
            "123456789012/eu-west-1/arn:aws-cn:kafka:eu-west-1:123456789012:cluster/orders/u-1/unauthenticated-access"
        );
        assert_eq!(
            content.generator_id(),
            "msk-mtls-rule/unauthenticated-access"
        );
        assert_eq!(cluster.partition(), "aws-cn");
        assert_eq!(cluster.name(), "orders");
        assert_eq!(
            product_arn("aws", "eu-west-1", "123456789012"),
            "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
        );
    }

    /// docs/audit.md shows one finding of each format as this build writes it.
    #[test]
    fn the_docs_example_findings_are_this_builds() {
        use crate::rule::checks::Finding;
        use crate::rule::facts::{ClientBroker, ClusterFacts};
        use crate::rule::outcome::{CheckOutcome, CheckStatus};
        use crate::rule::time::Timestamp;

        let facts = ClusterFacts {
            unauthenticated_access: true,
            client_broker: Some(ClientBroker::TlsPlaintext),
            ..ClusterFacts::default()
        };
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "us-east-1",
            arn: "arn:aws:kafka:us-east-1:123456789012:cluster/clickstream/0f1e2d3c-5",
            facts: Some(&facts),
            outcomes: &[],
        };
        let outcome = CheckOutcome {
            check: &CHECKS[0],
            status: CheckStatus::Failed,
            findings: vec![Finding::UnauthenticatedAccess(Default::default()).to_string()],
        };
        let now = Timestamp::from_utc(2026, 12, 3, 9, 0, 0).unwrap();
        let fenced = |value: serde_json::Value| format!("\n```json\n{value:#}\n```\n");
        let content = Content::of_check(&outcome);
        let asff = asff::to_json(&asff::finding(&cluster, &content, now, None));
        let ocsf = ocsf::finding(&cluster, &content, now);
        crate::docs::keep_block(
            "docs/audit.md",
            "<!-- asff-example:begin (rendered from src/findings) -->",
            "<!-- asff-example:end -->",
            &fenced(asff),
        );
        crate::docs::keep_block(
            "docs/audit.md",
            "<!-- ocsf-example:begin (rendered from src/findings) -->",
            "<!-- ocsf-example:end -->",
            &fenced(ocsf),
        );
    }

    #[test]
    fn text_over_a_limit_is_cut_and_marked() {
        assert_eq!(within("abc", 3), "abc");
        assert_eq!(within("abcd", 3), "ab…");
        assert_eq!(within("ééééé", 4).chars().count(), 4);
    }
}
