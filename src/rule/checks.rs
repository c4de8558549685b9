//! Every check the rule makes, in one table: what fails it, the annotation it writes, and the fix.
//! The verdict runs the table in order; the README's table is rendered from it (a test keeps them
//! equal), so a new check cannot ship without its row.

use std::fmt;

use crate::rule::facts::{ClientBroker, Cluster, ClusterFacts};
use crate::rule::params::{RuleParams, SaslMechanism};
use crate::rule::time::Timestamp;
use crate::rule::verdict::{CaHealth, CaHealthReport, CaStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    UnauthenticatedAccess,
    TlsClientAuthenticationDisabled,
    NoCertificateAuthority,
    PlaintextListener { client_broker: Option<ClientBroker> },
    SaslNotAllowed(SaslMechanism),
    MultiVpcSaslNotAllowed(SaslMechanism),
    CertificateAuthorityNotAllowed(String),
    CertificateAuthorityNotActive { arn: String, status: CaStatus },
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

/// What a check looks at.
pub struct Inputs<'a> {
    pub cluster: &'a Cluster,
    pub params: &'a RuleParams,
    /// The health of the CAs looked up; a CA missing here was not checked.
    pub cas: &'a CaHealthReport,
    pub now: Timestamp,
}

pub struct Check {
    pub name: &'static str,
    /// When the check fails, for the README.
    pub fails_when: &'static str,
    /// What the owner changes (CloudFormation property names).
    pub fix: &'static str,
    pub find: fn(&Inputs) -> Vec<Finding>,
    /// Findings that show every annotation the check writes, for the README.
    pub examples: fn() -> Vec<Finding>,
}

/// A check is known by its name, which the table keeps unique.
impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Check({:?})", self.name)
    }
}

/// The checks, in the order their findings are named.
pub const CHECKS: &[Check] = &[
    Check {
        name: "unauthenticated access",
        fails_when: "`ClientAuthentication.Unauthenticated.Enabled` is true or not recorded, or no client authentication is configured at all (MSK then admits anyone)",
        fix: "`ClientAuthentication.Unauthenticated.Enabled: false`",
        find: |inputs| provisioned(inputs, |facts| facts.unauthenticated_access.then_some(Finding::UnauthenticatedAccess).into_iter().collect()),
        examples: || vec![Finding::UnauthenticatedAccess],
    },
    Check {
        name: "TLS client authentication",
        fails_when: "`ClientAuthentication.Tls.Enabled` is false or absent (neither the CloudFormation schema nor the Kafka API gives it a default, so absent reads the unsafe way)",
        fix: "`ClientAuthentication.Tls.Enabled: true`",
        find: |inputs| provisioned(inputs, |facts| (!facts.tls_client_authentication).then_some(Finding::TlsClientAuthenticationDisabled).into_iter().collect()),
        examples: || vec![Finding::TlsClientAuthenticationDisabled],
    },
    Check {
        name: "Private CA",
        fails_when: "`Tls.CertificateAuthorityArnList` is empty",
        fix: "list the Private CA that issues your clients' certificates in `Tls.CertificateAuthorityArnList`",
        find: |inputs| provisioned(inputs, |facts| facts.certificate_authority_arns.is_empty().then_some(Finding::NoCertificateAuthority).into_iter().collect()),
        examples: || vec![Finding::NoCertificateAuthority],
    },
    Check {
        name: "TLS-only listener",
        fails_when: "`EncryptionInTransit.ClientBroker` is `TLS_PLAINTEXT`, `PLAINTEXT`, or not recorded (botocore's model gives `TLS_PLAINTEXT` as MSK's default, the MSK API reference `TLS`: the unsafe one is taken): a plaintext listener authenticates nobody",
        fix: "`EncryptionInfo.EncryptionInTransit.ClientBroker: TLS`",
        find: |inputs| provisioned(inputs, |facts| {
            (facts.client_broker != Some(ClientBroker::Tls))
                .then_some(Finding::PlaintextListener { client_broker: facts.client_broker })
                .into_iter()
                .collect()
        }),
        examples: || vec![
            Finding::PlaintextListener { client_broker: Some(ClientBroker::TlsPlaintext) },
            Finding::PlaintextListener { client_broker: None },
        ],
    },
    Check {
        name: "SASL",
        fails_when: "SASL/IAM or SASL/SCRAM is enabled (or recorded without its flag) and not in `allowedSaslMechanisms`",
        fix: "`ClientAuthentication.Sasl.Iam.Enabled: false` (or `Scram`), or allow the mechanism in `allowedSaslMechanisms`",
        find: |inputs| provisioned(inputs, |facts| {
            facts.sasl_mechanisms.difference(&inputs.params.allowed_sasl_mechanisms).map(|m| Finding::SaslNotAllowed(*m)).collect()
        }),
        examples: || vec![Finding::SaslNotAllowed(SaslMechanism::Iam)],
    },
    Check {
        name: "multi-VPC connectivity",
        fails_when: "`ConnectivityInfo.VpcConnectivity.ClientAuthentication` opens SASL/IAM or SASL/SCRAM not in `allowedSaslMechanisms`",
        fix: "`BrokerNodeGroupInfo.ConnectivityInfo.VpcConnectivity.ClientAuthentication.Sasl.Scram.Enabled: false` (or `Iam`)",
        find: |inputs| provisioned(inputs, |facts| {
            facts.multi_vpc.sasl_mechanisms.difference(&inputs.params.allowed_sasl_mechanisms).map(|m| Finding::MultiVpcSaslNotAllowed(*m)).collect()
        }),
        examples: || vec![Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram)],
    },
    Check {
        name: "CA allow-list",
        fails_when: "a CA is not in `allowedCertificateAuthorityArns` (when given)",
        fix: "trust only the allowed Private CAs in `Tls.CertificateAuthorityArnList`",
        find: |inputs| provisioned(inputs, |facts| match &inputs.params.allowed_certificate_authority_arns {
            None => Vec::new(),
            Some(allowed) => facts.certificate_authority_arns.iter()
                .filter(|arn| !allowed.contains(*arn))
                .map(|arn| Finding::CertificateAuthorityNotAllowed(arn.clone()))
                .collect(),
        }),
        examples: || vec![Finding::CertificateAuthorityNotAllowed(EXAMPLE_CA.into())],
    },
    Check {
        name: "CA health",
        fails_when: "with `checkCertificateAuthorityStatus` (default on): the CA is not `ACTIVE`, its certificate expires within `certificateAuthorityExpiryDays` or has expired, its expiry is unknown, it does not exist, or it cannot be read (e.g. AccessDenied on a CA shared from another account)",
        fix: "renew or re-enable the Private CA, or move clusters to a healthy one; let the rule's role describe shared CAs",
        find: |inputs| provisioned(inputs, |facts| {
            if !inputs.params.check_certificate_authority_status {
                return Vec::new();
            }
            facts.certificate_authority_arns.iter()
                .filter_map(|arn| ca_finding(arn, inputs.cas.get(arn), inputs.params.certificate_authority_expiry_days, inputs.now))
                .collect()
        }),
        examples: || vec![
            Finding::CertificateAuthorityNotActive { arn: EXAMPLE_CA.into(), status: CaStatus::Disabled },
            Finding::CertificateAuthorityExpiring { arn: EXAMPLE_CA.into(), days_left: 12 },
            Finding::CertificateAuthorityExpiring { arn: EXAMPLE_CA.into(), days_left: -1 },
            Finding::CertificateAuthorityExpiryUnknown(EXAMPLE_CA.into()),
            Finding::CertificateAuthorityNotFound(EXAMPLE_CA.into()),
            Finding::CertificateAuthorityUnreadable { arn: EXAMPLE_CA.into(), reason: "AccessDeniedException".into() },
        ],
    },
    Check {
        name: "required tags",
        fails_when: "a key of `requiredTagKeys` is missing",
        fix: "tag the cluster (e.g. `owner`)",
        find: |inputs| provisioned(inputs, |facts| {
            inputs.params.required_tag_keys.iter()
                .filter(|key| !facts.tag_keys.contains(*key))
                .map(|key| Finding::MissingTag(key.clone()))
                .collect()
        }),
        examples: || vec![Finding::MissingTag("owner".into())],
    },
    Check {
        name: "serverless",
        fails_when: "the cluster is an `AWS::MSK::ServerlessCluster` and `serverlessClusterCompliance` is `NON_COMPLIANT` (by default it is NOT_APPLICABLE)",
        fix: "move the clients that need mTLS to a provisioned cluster: MSK Serverless supports SASL/IAM only",
        find: |inputs| match inputs.cluster {
            Cluster::Serverless => vec![Finding::ServerlessCannotEnforceMtls],
            Cluster::Provisioned(_) => Vec::new(),
        },
        examples: || vec![Finding::ServerlessCannotEnforceMtls],
    },
];

/// The CA ARN the examples name, whose id reads as `<id>`.
const EXAMPLE_CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/<id>";

fn provisioned(inputs: &Inputs, find: impl FnOnce(&ClusterFacts) -> Vec<Finding>) -> Vec<Finding> {
    match inputs.cluster {
        Cluster::Provisioned(facts) => find(facts),
        Cluster::Serverless => Vec::new(),
    }
}

fn ca_finding(
    arn: &str,
    health: Option<&CaHealth>,
    expiry_days: u32,
    now: Timestamp,
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

/// The README's table of checks, rendered from `CHECKS`.
pub fn markdown_table() -> String {
    let mut table = String::from("| check | fails when | annotation | fix |\n|---|---|---|---|\n");
    for check in CHECKS {
        let annotations: Vec<String> = (check.examples)()
            .iter()
            .map(|f| format!("`{f}`"))
            .collect();
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            check.name,
            check.fails_when,
            annotations.join(", "),
            check.fix
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One number per kind of finding: the match is exhaustive, so a new kind must be listed here,
    /// and the test below then asks for its row.
    fn kind(finding: &Finding) -> usize {
        match finding {
            Finding::UnauthenticatedAccess => 0,
            Finding::TlsClientAuthenticationDisabled => 1,
            Finding::NoCertificateAuthority => 2,
            Finding::PlaintextListener { .. } => 3,
            Finding::SaslNotAllowed(_) => 4,
            Finding::MultiVpcSaslNotAllowed(_) => 5,
            Finding::CertificateAuthorityNotAllowed(_) => 6,
            Finding::CertificateAuthorityNotActive { .. } => 7,
            Finding::CertificateAuthorityExpiring { .. } => 8,
            Finding::CertificateAuthorityExpiryUnknown(_) => 9,
            Finding::CertificateAuthorityNotFound(_) => 10,
            Finding::CertificateAuthorityUnreadable { .. } => 11,
            Finding::MissingTag(_) => 12,
            Finding::ServerlessCannotEnforceMtls => 13,
        }
    }
    const KINDS: usize = 14;

    #[test]
    fn every_kind_of_finding_has_a_row() {
        let mut shown = [false; KINDS];
        for check in CHECKS {
            assert!(
                !(check.examples)().is_empty(),
                "{} has no example",
                check.name
            );
            for finding in (check.examples)() {
                shown[kind(&finding)] = true;
            }
        }
        assert_eq!(shown, [true; KINDS]);
    }

    /// `MSK_MTLS_RULE_WRITE_README=1 cargo test --lib readme` writes the rendered table into the
    /// README instead of failing.
    #[test]
    fn the_readme_table_is_the_check_table() {
        crate::readme::keep_readme_block(
            "<!-- checks:begin (rendered from src/rule/checks.rs) -->\n",
            "<!-- checks:end -->",
            &markdown_table(),
        );
    }
}
