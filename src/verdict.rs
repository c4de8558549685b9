//! The verdict: pure, no I/O. Every check that fails is named, so an owner can fix them all at once.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_config::primitives::DateTime;

use crate::cluster::{Cluster, ClusterFacts};
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

/// CA health by ARN, looked up before evaluation; a CA missing here was not checked.
pub type CaHealthReport = BTreeMap<String, CaHealth>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    UnauthenticatedAccess,
    TlsClientAuthenticationDisabled,
    NoCertificateAuthority,
    PlaintextListener { client_broker: Option<String> },
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
    if facts.client_broker.as_deref() != Some("TLS") {
        findings.push(Finding::PlaintextListener {
            client_broker: facts.client_broker.clone(),
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
        Some(CaHealth::Active {
            not_after: Some(not_after),
        }) => {
            let seconds_left = not_after.secs() - now.secs();
            (seconds_left < i64::from(expiry_days) * SECONDS_PER_DAY).then(|| {
                Finding::CertificateAuthorityExpiring {
                    arn,
                    days_left: seconds_left.div_euclid(SECONDS_PER_DAY),
                }
            })
        }
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
