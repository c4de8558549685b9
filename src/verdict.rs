//! The verdict: pure, no I/O. Every check that fails is named, so an owner can fix them all at once.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_config::primitives::DateTime;

use crate::cluster::{ClientBroker, Cluster, ClusterFacts};
use crate::evaluation::{annotation, ComplianceType};
use crate::params::{RuleParams, SaslMechanism};

const SECONDS_PER_DAY: i64 = 86_400;

/// What the rule learned about a Private CA from ACM PCA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaHealth {
    Active {
        not_after: Option<DateTime>,
    },
    /// CREATING, PENDING_CERTIFICATE, DISABLED, EXPIRED, FAILED or DELETED.
    NotActive {
        status: String,
    },
    NotFound,
    /// The CA exists but cannot be read (e.g. AccessDenied on a CA shared from another account).
    Unreadable {
        reason: String,
    },
}

impl CaHealth {
    /// Whole days until an ACTIVE CA's certificate expires (negative once past), if known.
    pub fn days_to_expiry(&self, now: DateTime) -> Option<i64> {
        match self {
            CaHealth::Active {
                not_after: Some(not_after),
            } => Some((not_after.secs() - now.secs()).div_euclid(SECONDS_PER_DAY)),
            _ => None,
        }
    }
}

/// CA health by ARN, looked up before evaluation; a CA missing here was not checked.
pub type CaHealthReport = BTreeMap<String, CaHealth>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    UnauthenticatedAccess,
    TlsClientAuthenticationDisabled,
    NoCertificateAuthority,
    PlaintextListener { client_broker: Option<ClientBroker> },
    SaslNotAllowed(SaslMechanism),
    MultiVpcSaslNotAllowed(SaslMechanism),
    CertificateAuthorityNotAllowed(String),
    CertificateAuthorityNotActive { arn: String, status: String },
    CertificateAuthorityExpiring { arn: String, days_left: i64 },
    CertificateAuthorityExpiryUnknown(String),
    CertificateAuthorityNotFound(String),
    CertificateAuthorityUnreadable { arn: String, reason: String },
    MissingTag(String),
    ServerlessCannotEnforceMtls,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::UnauthenticatedAccess => write!(f, "unauthenticated access is enabled"),
            Finding::TlsClientAuthenticationDisabled => write!(f, "TLS client authentication is disabled"),
            Finding::NoCertificateAuthority => write!(f, "no Private CA is set for TLS client authentication"),
            Finding::PlaintextListener { client_broker: Some(mode) } => {
                write!(f, "client-broker encryption is {mode}, not TLS: a plaintext listener is open")
            }
            Finding::PlaintextListener { client_broker: None } => write!(
                f,
                "client-broker encryption is not recorded (MSK default TLS_PLAINTEXT: a plaintext listener is open)"
            ),
            Finding::SaslNotAllowed(mechanism) => write!(f, "{} is enabled and not allowed", mechanism.label()),
            Finding::MultiVpcSaslNotAllowed(mechanism) => {
                write!(f, "multi-VPC connectivity allows {}", mechanism.label())
            }
            Finding::CertificateAuthorityNotAllowed(arn) => write!(f, "CA {} is not on the allow-list", ca_id(arn)),
            Finding::CertificateAuthorityNotActive { arn, status } => write!(f, "CA {} is {status}", ca_id(arn)),
            Finding::CertificateAuthorityExpiring { arn, days_left } if *days_left < 0 => {
                write!(f, "CA {} certificate has expired", ca_id(arn))
            }
            Finding::CertificateAuthorityExpiring { arn, days_left } => {
                write!(f, "CA {} certificate expires in {days_left} days", ca_id(arn))
            }
            Finding::CertificateAuthorityExpiryUnknown(arn) => {
                write!(f, "CA {} certificate expiry is unknown", ca_id(arn))
            }
            Finding::CertificateAuthorityNotFound(arn) => write!(f, "CA {} does not exist", ca_id(arn)),
            Finding::CertificateAuthorityUnreadable { arn, reason } => {
                write!(f, "CA {} could not be checked ({reason})", ca_id(arn))
            }
            Finding::MissingTag(key) => write!(f, "tag {key:?} is missing"),
            Finding::ServerlessCannotEnforceMtls => {
                write!(f, "MSK Serverless supports only SASL/IAM and cannot enforce mTLS")
            }
        }
    }
}

/// The CA's id is what its owner recognises in the console, and it keeps the annotation short.
fn ca_id(arn: &str) -> &str {
    arn.rsplit_once("certificate-authority/")
        .map_or(arn, |(_, id)| id)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub compliance: ComplianceType,
    pub findings: Vec<Finding>,
}

impl Verdict {
    pub fn annotation(&self) -> Option<String> {
        let reasons: Vec<String> = self.findings.iter().map(Finding::to_string).collect();
        annotation(&reasons)
    }
}

/// Evaluates one cluster. `now` is when the CA expiry horizon is measured from.
pub fn evaluate(
    cluster: &Cluster,
    params: &RuleParams,
    cas: &CaHealthReport,
    now: DateTime,
) -> Verdict {
    match cluster {
        Cluster::Serverless => Verdict {
            compliance: params.serverless_cluster_compliance,
            findings: vec![Finding::ServerlessCannotEnforceMtls],
        },
        Cluster::Provisioned(facts) => {
            let findings = provisioned_findings(facts, params, cas, now);
            let compliance = if findings.is_empty() {
                ComplianceType::Compliant
            } else {
                ComplianceType::NonCompliant
            };
            Verdict {
                compliance,
                findings,
            }
        }
    }
}

fn provisioned_findings(
    facts: &ClusterFacts,
    params: &RuleParams,
    cas: &CaHealthReport,
    now: DateTime,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if facts.unauthenticated_access {
        findings.push(Finding::UnauthenticatedAccess);
    }
    if !facts.tls_client_authentication {
        findings.push(Finding::TlsClientAuthenticationDisabled);
    }
    if facts.certificate_authority_arns.is_empty() {
        findings.push(Finding::NoCertificateAuthority);
    }
    if facts.client_broker != Some(ClientBroker::Tls) {
        findings.push(Finding::PlaintextListener {
            client_broker: facts.client_broker,
        });
    }
    for mechanism in facts
        .sasl_mechanisms
        .difference(&params.allowed_sasl_mechanisms)
    {
        findings.push(Finding::SaslNotAllowed(*mechanism));
    }
    for mechanism in facts
        .multi_vpc
        .sasl_mechanisms
        .difference(&params.allowed_sasl_mechanisms)
    {
        findings.push(Finding::MultiVpcSaslNotAllowed(*mechanism));
    }
    if let Some(allowed) = &params.allowed_certificate_authority_arns {
        for arn in &facts.certificate_authority_arns {
            if !allowed.contains(arn) {
                findings.push(Finding::CertificateAuthorityNotAllowed(arn.clone()));
            }
        }
    }
    if params.check_certificate_authority_status {
        for arn in &facts.certificate_authority_arns {
            if let Some(finding) = ca_finding(
                arn,
                cas.get(arn),
                params.certificate_authority_expiry_days,
                now,
            ) {
                findings.push(finding);
            }
        }
    }
    for key in &params.required_tag_keys {
        if !facts.tag_keys.contains(key) {
            findings.push(Finding::MissingTag(key.clone()));
        }
    }
    findings
}

fn ca_finding(
    arn: &str,
    health: Option<&CaHealth>,
    expiry_days: u32,
    now: DateTime,
) -> Option<Finding> {
    let arn = arn.to_owned();
    match health {
        None => Some(Finding::CertificateAuthorityUnreadable {
            arn,
            reason: "not looked up".to_owned(),
        }),
        Some(CaHealth::Active { not_after: None }) => {
            Some(Finding::CertificateAuthorityExpiryUnknown(arn))
        }
        Some(health @ CaHealth::Active { not_after: Some(_) }) => health
            .days_to_expiry(now)
            .filter(|days_left| *days_left < i64::from(expiry_days))
            .map(|days_left| Finding::CertificateAuthorityExpiring { arn, days_left }),
        Some(CaHealth::NotActive { status }) => Some(Finding::CertificateAuthorityNotActive {
            arn,
            status: status.clone(),
        }),
        Some(CaHealth::NotFound) => Some(Finding::CertificateAuthorityNotFound(arn)),
        Some(CaHealth::Unreadable { reason }) => Some(Finding::CertificateAuthorityUnreadable {
            arn,
            reason: reason.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::cluster::MultiVpcAccess;

    const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";
    const OTHER_CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/99999999-aaaa-bbbb-cccc-dddddddddddd";
    const NOW: i64 = 1_700_000_000;

    fn now() -> DateTime {
        DateTime::from_secs(NOW)
    }

    fn mtls_only() -> ClusterFacts {
        ClusterFacts {
            unauthenticated_access: false,
            tls_client_authentication: true,
            certificate_authority_arns: vec![CA.to_owned()],
            client_broker: Some(ClientBroker::Tls),
            sasl_mechanisms: BTreeSet::new(),
            multi_vpc: MultiVpcAccess::default(),
            tag_keys: BTreeSet::from(["owner".to_owned()]),
        }
    }

    fn no_ca_check() -> RuleParams {
        RuleParams {
            check_certificate_authority_status: false,
            ..RuleParams::default()
        }
    }

    fn healthy_ca(days_left: i64) -> CaHealthReport {
        CaHealthReport::from([(
            CA.to_owned(),
            CaHealth::Active {
                not_after: Some(DateTime::from_secs(NOW + days_left * SECONDS_PER_DAY)),
            },
        )])
    }

    fn verdict(facts: ClusterFacts, params: &RuleParams, cas: &CaHealthReport) -> Verdict {
        evaluate(&Cluster::Provisioned(facts), params, cas, now())
    }

    #[test]
    fn mtls_only_cluster_is_compliant_without_annotation() {
        let verdict = verdict(mtls_only(), &no_ca_check(), &CaHealthReport::new());
        assert_eq!(verdict.compliance, ComplianceType::Compliant);
        assert_eq!(verdict.annotation(), None);
    }

    #[test]
    fn each_open_door_alone_is_non_compliant_and_named() {
        let sasl = |m: SaslMechanism| BTreeSet::from([m]);
        type Opening = Box<dyn Fn(&mut ClusterFacts)>;
        let rows: Vec<(&str, Opening, Finding)> = vec![
            (
                "unauthenticated",
                Box::new(|f| f.unauthenticated_access = true),
                Finding::UnauthenticatedAccess,
            ),
            (
                "tls off",
                Box::new(|f| f.tls_client_authentication = false),
                Finding::TlsClientAuthenticationDisabled,
            ),
            (
                "no ca",
                Box::new(|f| f.certificate_authority_arns.clear()),
                Finding::NoCertificateAuthority,
            ),
            (
                "tls_plaintext",
                Box::new(|f| f.client_broker = Some(ClientBroker::TlsPlaintext)),
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::TlsPlaintext),
                },
            ),
            (
                "plaintext",
                Box::new(|f| f.client_broker = Some(ClientBroker::Plaintext)),
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::Plaintext),
                },
            ),
            (
                "client-broker absent",
                Box::new(|f| f.client_broker = None),
                Finding::PlaintextListener {
                    client_broker: None,
                },
            ),
            (
                "sasl iam",
                Box::new(move |f| f.sasl_mechanisms = sasl(SaslMechanism::Iam)),
                Finding::SaslNotAllowed(SaslMechanism::Iam),
            ),
            (
                "sasl scram",
                Box::new(move |f| f.sasl_mechanisms = sasl(SaslMechanism::Scram)),
                Finding::SaslNotAllowed(SaslMechanism::Scram),
            ),
            (
                "multi-vpc iam",
                Box::new(move |f| f.multi_vpc.sasl_mechanisms = sasl(SaslMechanism::Iam)),
                Finding::MultiVpcSaslNotAllowed(SaslMechanism::Iam),
            ),
            (
                "multi-vpc scram",
                Box::new(move |f| f.multi_vpc.sasl_mechanisms = sasl(SaslMechanism::Scram)),
                Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram),
            ),
        ];
        for (name, open, expected) in rows {
            let mut facts = mtls_only();
            open(&mut facts);
            let verdict = verdict(facts, &no_ca_check(), &CaHealthReport::new());
            assert_eq!(verdict.compliance, ComplianceType::NonCompliant, "{name}");
            assert_eq!(verdict.findings, vec![expected.clone()], "{name}");
            assert_eq!(verdict.annotation(), Some(expected.to_string()), "{name}");
        }
    }

    #[test]
    fn multi_vpc_over_tls_is_fine() {
        let mut facts = mtls_only();
        facts.multi_vpc.tls = true;
        assert_eq!(
            verdict(facts, &no_ca_check(), &CaHealthReport::new()).compliance,
            ComplianceType::Compliant
        );
    }

    #[test]
    fn every_failed_check_is_named_not_only_the_first() {
        let facts = ClusterFacts {
            unauthenticated_access: true,
            tls_client_authentication: false,
            certificate_authority_arns: vec![],
            client_broker: Some(ClientBroker::Plaintext),
            sasl_mechanisms: BTreeSet::from([SaslMechanism::Iam, SaslMechanism::Scram]),
            multi_vpc: MultiVpcAccess {
                tls: false,
                sasl_mechanisms: BTreeSet::from([SaslMechanism::Scram]),
            },
            tag_keys: BTreeSet::new(),
        };
        let params = RuleParams {
            required_tag_keys: vec!["owner".into()],
            ..no_ca_check()
        };
        let verdict = verdict(facts, &params, &CaHealthReport::new());
        assert_eq!(
            verdict.findings,
            vec![
                Finding::UnauthenticatedAccess,
                Finding::TlsClientAuthenticationDisabled,
                Finding::NoCertificateAuthority,
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::Plaintext)
                },
                Finding::SaslNotAllowed(SaslMechanism::Iam),
                Finding::SaslNotAllowed(SaslMechanism::Scram),
                Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram),
                Finding::MissingTag("owner".into()),
            ]
        );
        let annotation = verdict.annotation().unwrap();
        assert!(annotation.chars().count() <= 256, "{annotation}");
        assert!(annotation.starts_with(
            "unauthenticated access is enabled; TLS client authentication is disabled"
        ));
        assert!(annotation.ends_with(" more)"), "{annotation}");
    }

    #[test]
    fn allowed_sasl_mechanisms_are_not_findings() {
        let mut facts = mtls_only();
        facts.sasl_mechanisms = BTreeSet::from([SaslMechanism::Iam, SaslMechanism::Scram]);
        facts.multi_vpc.sasl_mechanisms = BTreeSet::from([SaslMechanism::Iam]);
        let params = RuleParams {
            allowed_sasl_mechanisms: BTreeSet::from([SaslMechanism::Iam]),
            ..no_ca_check()
        };
        assert_eq!(
            verdict(facts, &params, &CaHealthReport::new()).findings,
            vec![Finding::SaslNotAllowed(SaslMechanism::Scram)]
        );
    }

    #[test]
    fn unauthenticated_access_is_never_allowed_by_parameters() {
        let mut facts = mtls_only();
        facts.unauthenticated_access = true;
        let params = RuleParams {
            allowed_sasl_mechanisms: BTreeSet::from([SaslMechanism::Iam, SaslMechanism::Scram]),
            ..no_ca_check()
        };
        assert_eq!(
            verdict(facts, &params, &CaHealthReport::new()).compliance,
            ComplianceType::NonCompliant
        );
    }

    #[test]
    fn certificate_authority_allow_list() {
        let allowed = |arns: &[&str]| RuleParams {
            allowed_certificate_authority_arns: Some(arns.iter().map(|a| a.to_string()).collect()),
            ..no_ca_check()
        };
        let none = CaHealthReport::new();
        assert_eq!(
            verdict(mtls_only(), &allowed(&[CA]), &none).findings,
            vec![]
        );
        let mut two_cas = mtls_only();
        two_cas.certificate_authority_arns.push(OTHER_CA.into());
        assert_eq!(
            verdict(two_cas, &allowed(&[CA]), &none).findings,
            vec![Finding::CertificateAuthorityNotAllowed(OTHER_CA.into())]
        );
        assert_eq!(
            verdict(mtls_only(), &allowed(&[OTHER_CA]), &none)
                .annotation()
                .unwrap(),
            "CA 11111111-2222-3333-4444-555555555555 is not on the allow-list"
        );
    }

    #[test]
    fn required_tags() {
        let params = RuleParams {
            required_tag_keys: vec!["owner".into(), "Owner".into(), "cost-center".into()],
            ..no_ca_check()
        };
        assert_eq!(
            verdict(mtls_only(), &params, &CaHealthReport::new()).findings,
            vec![
                Finding::MissingTag("Owner".into()),
                Finding::MissingTag("cost-center".into())
            ]
        );
    }

    #[test]
    fn serverless_follows_its_parameter() {
        let params = RuleParams::default();
        let na = evaluate(&Cluster::Serverless, &params, &CaHealthReport::new(), now());
        assert_eq!(na.compliance, ComplianceType::NotApplicable);
        assert!(na.annotation().unwrap().contains("Serverless"));
        let strict = RuleParams {
            serverless_cluster_compliance: ComplianceType::NonCompliant,
            ..params
        };
        let nc = evaluate(&Cluster::Serverless, &strict, &CaHealthReport::new(), now());
        assert_eq!(nc.compliance, ComplianceType::NonCompliant);
    }

    #[test]
    fn healthy_ca_far_from_expiry_is_compliant() {
        let verdict = verdict(mtls_only(), &RuleParams::default(), &healthy_ca(365));
        assert_eq!(verdict.compliance, ComplianceType::Compliant);
    }

    #[test]
    fn ca_expiring_within_the_horizon_names_the_days_left() {
        let verdict = verdict(mtls_only(), &RuleParams::default(), &healthy_ca(12));
        assert_eq!(verdict.compliance, ComplianceType::NonCompliant);
        assert_eq!(
            verdict.annotation().unwrap(),
            "CA 11111111-2222-3333-4444-555555555555 certificate expires in 12 days"
        );
    }

    #[test]
    fn expiry_horizon_is_a_parameter_and_zero_flags_only_expired() {
        let zero = RuleParams {
            certificate_authority_expiry_days: 0,
            ..RuleParams::default()
        };
        assert_eq!(verdict(mtls_only(), &zero, &healthy_ca(1)).findings, vec![]);
        let expired = verdict(mtls_only(), &zero, &healthy_ca(-3));
        assert_eq!(
            expired.annotation().unwrap(),
            "CA 11111111-2222-3333-4444-555555555555 certificate has expired"
        );
    }

    #[test]
    fn unhealthy_or_unverified_ca_is_never_compliant() {
        let cases = [
            (
                Some(CaHealth::NotActive {
                    status: "DISABLED".into(),
                }),
                "is DISABLED",
            ),
            (Some(CaHealth::NotFound), "does not exist"),
            (
                Some(CaHealth::Unreadable {
                    reason: "AccessDeniedException".into(),
                }),
                "could not be checked (AccessDeniedException)",
            ),
            (
                Some(CaHealth::Active { not_after: None }),
                "expiry is unknown",
            ),
            (None, "could not be checked (not looked up)"),
        ];
        for (health, words) in cases {
            let report: CaHealthReport = health.into_iter().map(|h| (CA.to_owned(), h)).collect();
            let verdict = verdict(mtls_only(), &RuleParams::default(), &report);
            assert_eq!(verdict.compliance, ComplianceType::NonCompliant, "{words}");
            assert!(verdict.annotation().unwrap().contains(words), "{words}");
        }
    }

    #[test]
    fn ca_status_is_ignored_when_the_check_is_off() {
        let report = CaHealthReport::from([(CA.to_owned(), CaHealth::NotFound)]);
        assert_eq!(
            verdict(mtls_only(), &no_ca_check(), &report).compliance,
            ComplianceType::Compliant
        );
    }
}
