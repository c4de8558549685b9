//! What the rule knows of a Private CA: its status and expiry, its type and usage mode, and who can
//! issue from it, as ACM PCA tells them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::rule::facts::Cluster;
use crate::rule::time::Timestamp;

/// A Private CA's status other than ACTIVE, as ACM PCA names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaStatus {
    Creating,
    PendingCertificate,
    Disabled,
    Expired,
    Failed,
    Deleted,
    /// A status this build does not know yet, by name: never read as healthy.
    Unknown(String),
}

impl CaStatus {
    pub fn as_str(&self) -> &str {
        match self {
            CaStatus::Creating => "CREATING",
            CaStatus::PendingCertificate => "PENDING_CERTIFICATE",
            CaStatus::Disabled => "DISABLED",
            CaStatus::Expired => "EXPIRED",
            CaStatus::Failed => "FAILED",
            CaStatus::Deleted => "DELETED",
            CaStatus::Unknown(name) => name,
        }
    }
}

impl fmt::Display for CaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the rule learned about a Private CA from ACM PCA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaHealth {
    Active {
        not_after: Option<Timestamp>,
    },
    NotActive {
        status: CaStatus,
    },
    NotFound,
    /// The CA exists but cannot be read (e.g. AccessDenied on a CA shared from another account).
    Unreadable {
        reason: String,
    },
}

impl CaHealth {
    /// Whole days until an ACTIVE CA's certificate expires (negative once past), if known.
    pub fn days_to_expiry(&self, now: Timestamp) -> Option<i64> {
        match self {
            CaHealth::Active {
                not_after: Some(not_after),
            } => Some(now.whole_days_until(*not_after)),
            _ => None,
        }
    }
}

/// CA health by ARN, looked up before evaluation; a CA missing here was not checked.
pub type CaHealthReport = BTreeMap<String, CaHealth>;

/// What a Private CA's certificate makes of it in a chain: a root is trusted with every CA under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaKind {
    Root,
    Subordinate,
    /// A type this build does not know yet, by name: never read as subordinate.
    Unknown(String),
}

/// How long the certificates a CA issues may live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageMode {
    /// ACM PCA's default: certificates of any validity, whose revocation MSK never checks.
    GeneralPurpose,
    /// At most seven days' validity, which bounds how long a leaked certificate works.
    ShortLivedCertificate,
    /// A mode this build does not know yet, by name: never read as short-lived.
    Unknown(String),
}

impl fmt::Display for CaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaKind::Root => "ROOT",
            CaKind::Subordinate => "SUBORDINATE",
            CaKind::Unknown(name) => name,
        })
    }
}

impl fmt::Display for UsageMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UsageMode::GeneralPurpose => "GENERAL_PURPOSE",
            UsageMode::ShortLivedCertificate => "SHORT_LIVED_CERTIFICATE",
            UsageMode::Unknown(name) => name,
        })
    }
}

/// A CA's type and usage mode, as DescribeCertificateAuthority gives them with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaProfile {
    pub kind: CaKind,
    pub usage: UsageMode,
}

/// What one DescribeCertificateAuthority says: the CA's health, and its profile when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaDescription {
    pub health: CaHealth,
    /// `None` when the CA does not exist or could not be read (its health says which).
    pub profile: Option<CaProfile>,
}

/// Who besides the CA's own account can call `acm-pca:IssueCertificate` on it, from its resource
/// policy (GetPolicy; a share through AWS RAM writes that policy too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issuers {
    /// The principals outside the CA's account the policy lets issue: account ids, `*`, or a
    /// principal named as the policy names it when it has no account (a service). Empty when there
    /// is no policy or it grants issuing to the CA's own account only.
    Known(BTreeSet<String>),
    /// The policy could not be read or understood: never read as "nobody".
    Unknown(String),
}

/// Each CA with the clusters (their ARNs) that trust it.
pub type TrustedBy = BTreeMap<String, Vec<String>>;

/// What the rule knows of the CAs the clusters trust beyond their health: read once per invocation
/// however many clusters trust each CA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaTrust {
    pub profiles: BTreeMap<String, CaProfile>,
    pub issuers: BTreeMap<String, Issuers>,
    pub fleet: Fleet,
}

impl CaTrust {
    /// A template's CAs: no other cluster is known.
    pub fn before_deploy() -> Self {
        CaTrust {
            fleet: Fleet::NotKnownBeforeDeploy,
            ..CaTrust::default()
        }
    }
}

/// The other clusters of the account and region, for whether a CA serves one cluster alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Fleet {
    /// Every CA of the account's clusters with the clusters that trust it (a sweep, `audit`, or a
    /// change event's ListClustersV2 walk).
    Listed(TrustedBy),
    /// A template's cluster: the clusters it will share an account with are not known.
    NotKnownBeforeDeploy,
    #[default]
    NotListed,
}

/// Adds the CAs a listed cluster trusts to `trusted_by`.
pub fn add_trusted_by(trusted_by: &mut TrustedBy, cluster_arn: &str, cluster: &Cluster) {
    if let Cluster::Provisioned(facts) = cluster {
        for ca in &facts.certificate_authority_arns {
            trusted_by
                .entry(ca.clone())
                .or_default()
                .push(cluster_arn.to_owned());
        }
    }
}

/// The account a CA's ARN names (`arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>`).
pub fn ca_account(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// Where ACM Private CA writes a CA's audit reports in their bucket: `audit-report/<CA id>/`.
pub fn audit_report_prefix(arn: &str) -> Option<String> {
    let (kind, id) = arn.splitn(6, ':').nth(5)?.split_once('/')?;
    let valid = kind == "certificate-authority" && !id.is_empty() && !id.contains('/');
    (valid && ca_account(arn).is_some()).then(|| format!("audit-report/{id}/"))
}

/// The principals outside `own_account` that a CA's resource policy lets call
/// `acm-pca:IssueCertificate`. Every `Allow` counts whatever its conditions (a condition is never
/// read as narrowing, nor is a `Deny`); `NotPrincipal` in an `Allow` reads as `*`, `NotAction`
/// counts unless it names issuing. A policy that is not an IAM policy document is an error.
pub fn outside_issuers(policy: &str, own_account: &str) -> Result<BTreeSet<String>, String> {
    let document: serde_json::Value =
        serde_json::from_str(policy).map_err(|e| format!("the policy is not JSON: {e}"))?;
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(statements)) => statements.iter().collect(),
        Some(statement @ serde_json::Value::Object(_)) => vec![statement],
        _ => return Err("the policy has no Statement".to_owned()),
    };
    let mut issuers = BTreeSet::new();
    for statement in statements {
        match statement.get("Effect").and_then(serde_json::Value::as_str) {
            Some("Allow") => {}
            Some("Deny") => continue,
            other => {
                return Err(format!(
                    "a statement's Effect is {other:?}, not Allow or Deny"
                ))
            }
        }
        if !grants_issuing(statement)? {
            continue;
        }
        for principal in principals(statement)? {
            // An ARN by its account; an account id, `*` or a service as written.
            let account = principal
                .strip_prefix("arn:")
                .and_then(|_| principal.split(':').nth(4))
                .filter(|account| !account.is_empty())
                .unwrap_or(&principal);
            if account != own_account {
                issuers.insert(account.to_owned());
            }
        }
    }
    Ok(issuers)
}

/// Whether an `Allow` statement's actions include `acm-pca:IssueCertificate`.
fn grants_issuing(statement: &serde_json::Value) -> Result<bool, String> {
    let matches = |field| -> Result<Option<bool>, String> {
        let Some(value) = statement.get(field) else {
            return Ok(None);
        };
        let patterns =
            strings(value).ok_or_else(|| format!("a statement's {field} is not text"))?;
        Ok(Some(
            patterns
                .iter()
                .any(|pattern| wildcard_match(pattern, ISSUE)),
        ))
    };
    match (matches("Action")?, matches("NotAction")?) {
        (Some(named), None) => Ok(named),
        (None, Some(excluded)) => Ok(!excluded),
        _ => Err("a statement needs one of Action and NotAction".to_owned()),
    }
}

const ISSUE: &str = "acm-pca:issuecertificate";

/// The principals an `Allow` statement names (`NotPrincipal`: anyone but those, read as `*`).
fn principals(statement: &serde_json::Value) -> Result<Vec<String>, String> {
    if statement.get("NotPrincipal").is_some() {
        return Ok(vec!["*".to_owned()]);
    }
    match statement.get("Principal") {
        Some(serde_json::Value::String(star)) if star == "*" => Ok(vec!["*".to_owned()]),
        Some(serde_json::Value::Object(by_kind)) => {
            let mut named = Vec::new();
            for value in by_kind.values() {
                named.extend(strings(value).ok_or("a Principal's value is not text")?);
            }
            Ok(named)
        }
        _ => Err("a statement has no Principal a resource policy can have".to_owned()),
    }
}

/// A string or a list of strings, as IAM writes one or many.
fn strings(value: &serde_json::Value) -> Option<Vec<String>> {
    match value {
        serde_json::Value::String(one) => Some(vec![one.clone()]),
        serde_json::Value::Array(many) => {
            many.iter().map(|v| v.as_str().map(str::to_owned)).collect()
        }
        _ => None,
    }
}

/// IAM's action match: case-insensitive, `*` for any run of characters and `?` for one.
fn wildcard_match(pattern: &str, action: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let action: Vec<char> = action.chars().collect();
    let (mut p, mut a, mut star, mut resume) = (0, 0, None, 0);
    while a < action.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == action[a]) {
            p += 1;
            a += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            resume = a;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            resume += 1;
            a = resume;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// For tests of other checks: every CA of `cas` that exists is SUBORDINATE, GENERAL_PURPOSE, and
/// nobody outside its account can issue from it.
#[doc(hidden)]
pub fn unremarkable(cas: &CaHealthReport) -> CaTrust {
    let exists =
        |health: &CaHealth| matches!(health, CaHealth::Active { .. } | CaHealth::NotActive { .. });
    CaTrust {
        profiles: cas
            .iter()
            .filter(|(_, health)| exists(health))
            .map(|(arn, _)| {
                (
                    arn.clone(),
                    CaProfile {
                        kind: CaKind::Subordinate,
                        usage: UsageMode::GeneralPurpose,
                    },
                )
            })
            .collect(),
        issuers: cas
            .keys()
            .map(|arn| (arn.clone(), Issuers::Known(BTreeSet::new())))
            .collect(),
        fleet: Fleet::NotListed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "111122223333";

    fn issuers(policy: serde_json::Value) -> Result<Vec<String>, String> {
        outside_issuers(&policy.to_string(), OWN).map(|set| set.into_iter().collect())
    }

    /// AWS's documented cross-account policy (Private CA user guide, "Resource-based policies",
    /// policy1.json): the named account may issue.
    #[test]
    fn the_documented_cross_account_share_names_the_account() {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ExampleStatementID", "Effect": "Allow", "Principal": {"AWS": "555555555555"},
                 "Action": ["acm-pca:DescribeCertificateAuthority", "acm-pca:GetCertificate",
                            "acm-pca:GetCertificateAuthorityCertificate", "acm-pca:ListPermissions",
                            "acm-pca:ListTags"],
                 "Resource": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x"},
                {"Sid": "ExampleStatementID2", "Effect": "Allow", "Principal": {"AWS": "555555555555"},
                 "Action": ["acm-pca:IssueCertificate"],
                 "Resource": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x",
                 "Condition": {"StringEquals": {"acm-pca:TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate/V1"}}}
            ]
        });
        assert_eq!(issuers(policy), Ok(vec!["555555555555".to_owned()]));
    }

    #[test]
    fn every_way_to_name_a_principal_and_an_action_is_read() {
        let allow = |principal: serde_json::Value, action: &str| serde_json::json!({"Statement": {"Effect": "Allow", "Principal": principal, "Action": action}});
        let cases = [
            (
                allow(serde_json::json!("*"), "acm-pca:IssueCertificate"),
                vec!["*"],
            ),
            (
                allow(serde_json::json!({"AWS": "*"}), "acm-pca:*"),
                vec!["*"],
            ),
            (
                allow(
                    serde_json::json!({"AWS": "arn:aws:iam::444455556666:role/issuer"}),
                    "ACM-PCA:Issue*",
                ),
                vec!["444455556666"],
            ),
            (
                allow(
                    serde_json::json!({"AWS": ["arn:aws:iam::111122223333:root", "777788889999"]}),
                    "*",
                ),
                vec!["777788889999"],
            ),
            (
                allow(
                    serde_json::json!({"AWS": ["111122223333", "arn:aws:iam::111122223333:role/issuer"]}),
                    "*",
                ),
                vec![],
            ),
            (
                allow(
                    serde_json::json!({"Service": "acm.amazonaws.com"}),
                    "acm-pca:IssueCert?ficate",
                ),
                vec!["acm.amazonaws.com"],
            ),
            (
                allow(
                    serde_json::json!({"AWS": "444455556666"}),
                    "acm-pca:GetCertificate",
                ),
                vec![],
            ),
            (
                allow(serde_json::json!({"AWS": "444455556666"}), "acm-pca:Issue"),
                vec![],
            ),
        ];
        for (policy, expected) in cases {
            assert_eq!(
                issuers(policy.clone()),
                Ok(expected.iter().map(|s| s.to_string()).collect()),
                "{policy}"
            );
        }
    }

    /// A condition never narrows, a Deny is not read, NotPrincipal is anyone and NotAction counts
    /// unless it names issuing: each reading errs towards more issuers, never fewer.
    #[test]
    fn nothing_is_read_as_narrowing() {
        let policy = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "acm-pca:IssueCertificate",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}},
            {"Effect": "Deny", "Principal": "*", "Action": "acm-pca:IssueCertificate"}
        ]});
        assert_eq!(issuers(policy), Ok(vec!["*".to_owned()]));
        let not_principal = serde_json::json!({"Statement": {"Effect": "Allow", "NotPrincipal": {"AWS": "555555555555"}, "Action": "acm-pca:IssueCertificate"}});
        assert_eq!(issuers(not_principal), Ok(vec!["*".to_owned()]));
        let not_action = |excluded: &str| serde_json::json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "555555555555"}, "NotAction": excluded}});
        assert_eq!(
            issuers(not_action("acm-pca:RevokeCertificate")),
            Ok(vec!["555555555555".to_owned()])
        );
        assert_eq!(issuers(not_action("acm-pca:Issue*")), Ok(vec![]));
    }

    #[test]
    fn a_policy_that_cannot_be_understood_is_an_error_never_nobody() {
        for policy in [
            "not json",
            r#"{"Version": "2012-10-17"}"#,
            r#"{"Statement": {"Effect": "allow", "Principal": "*", "Action": "*"}}"#,
            r#"{"Statement": {"Effect": "Allow", "Action": "*"}}"#,
            r#"{"Statement": {"Effect": "Allow", "Principal": "444455556666", "Action": "*"}}"#,
            r#"{"Statement": {"Effect": "Allow", "Principal": "*"}}"#,
            r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": 5}, "Action": "*"}}"#,
            r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": ["*", 1]}}"#,
        ] {
            assert!(outside_issuers(policy, OWN).is_err(), "{policy}");
        }
    }

    #[test]
    fn a_ca_arn_names_its_account() {
        assert_eq!(
            ca_account("arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x"),
            Some(OWN)
        );
        assert_eq!(
            ca_account("arn:aws:acm-pca:us-east-1::certificate-authority/x"),
            None
        );
        assert_eq!(ca_account("not an arn"), None);
    }

    #[test]
    fn a_cas_audit_reports_are_under_its_id() {
        assert_eq!(
            audit_report_prefix(
                "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/0a1b-2c"
            ),
            Some("audit-report/0a1b-2c/".to_owned())
        );
        for not_a_ca in [
            "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/",
            "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x/certificate/y",
            "arn:aws:acm-pca:us-east-1:111122223333:template/x",
            "arn:aws:acm-pca:us-east-1::certificate-authority/x",
            "certificate-authority/x",
        ] {
            assert_eq!(audit_report_prefix(not_a_ca), None, "{not_a_ca}");
        }
    }

    #[test]
    fn the_wildcard_match_is_iams() {
        for (pattern, matches) in [
            ("*", true),
            ("acm-pca:*", true),
            ("acm-pca:issue*", true),
            ("*certificate", true),
            ("acm-pca:issuecertificate", true),
            ("acm-pca:issuecertificates", false),
            ("acm-pca:get*", false),
            ("a*c*e", true),
            ("", false),
        ] {
            assert_eq!(wildcard_match(pattern, ISSUE), matches, "{pattern}");
        }
    }

    #[test]
    fn a_listed_cluster_is_counted_under_each_ca_it_trusts_and_a_template_knows_no_other() {
        use crate::rule::facts::ClusterFacts;
        let mut trusted_by = TrustedBy::new();
        let trusting = |cas: &[&str]| {
            Cluster::Provisioned(ClusterFacts {
                certificate_authority_arns: cas.iter().map(|ca| ca.to_string()).collect(),
                ..ClusterFacts::default()
            })
        };
        add_trusted_by(&mut trusted_by, "orders", &trusting(&["ca/a", "ca/b"]));
        add_trusted_by(&mut trusted_by, "payments", &trusting(&["ca/a"]));
        add_trusted_by(&mut trusted_by, "events", &Cluster::Serverless);
        assert_eq!(
            trusted_by,
            TrustedBy::from([
                (
                    "ca/a".to_owned(),
                    vec!["orders".to_owned(), "payments".to_owned()]
                ),
                ("ca/b".to_owned(), vec!["orders".to_owned()]),
            ])
        );
        assert_eq!(CaTrust::before_deploy().fleet, Fleet::NotKnownBeforeDeploy);
        assert_eq!(CaTrust::default().fleet, Fleet::NotListed);
    }
}
