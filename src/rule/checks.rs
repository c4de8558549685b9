//! Every check the rule makes, in one table: what fails it, the annotation it writes, and the fix.
//! The verdict runs the table in order; the README's table is rendered from it (a test keeps them
//! equal), so a new check cannot ship without its row.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::rule::arn::cluster_name_or_id;
use crate::rule::authorization::{AclDefault, ConfigurationReport, OpenBecause};
use crate::rule::ca::{
    CaHealth, CaHealthReport, CaKind, CaStatus, CaTrust, Fleet, Issuers, UsageMode,
};
use crate::rule::doors::{Door, DoorUser, UsedBy};
use crate::rule::evaluation::ComplianceType;
use crate::rule::facts::{ClientBroker, Cluster, ClusterFacts, PublicAccess};
use crate::rule::params::{RuleParams, SaslMechanism};
use crate::rule::time::Timestamp;
use crate::rule::zookeeper::{Metadata, OnBecause, ZooKeeperAccess};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    UnauthenticatedAccess(UsedBy),
    TlsClientAuthenticationDisabled,
    NoCertificateAuthority,
    PlaintextListener {
        client_broker: Option<ClientBroker>,
    },
    BrokerTrafficPlaintext,
    SaslNotAllowed(SaslMechanism, UsedBy),
    MultiVpcSaslNotAllowed(SaslMechanism, UsedBy),
    PublicAccess(PublicAccess),
    AuthorizationOpenByDefault(OpenBecause),
    ZooKeeperReachable(OnBecause),
    CertificateAuthorityNotAllowed(String),
    CertificateAuthorityNotActive {
        arn: String,
        status: CaStatus,
    },
    CertificateAuthorityExpiring {
        arn: String,
        days_left: i64,
    },
    CertificateAuthorityExpiryUnknown(String),
    CertificateAuthorityNotFound(String),
    CertificateAuthorityUnreadable {
        arn: String,
        reason: String,
    },
    CertificateAuthorityNotSubordinate {
        arn: String,
        kind: CaKind,
    },
    CertificateAuthorityIssuersOutside {
        arn: String,
        issuers: Vec<String>,
    },
    CertificateAuthorityPolicyUnreadable {
        arn: String,
        reason: String,
    },
    /// The other clusters that trust the CA: the first `OTHERS_NAMED` by name, the rest counted.
    CertificateAuthorityNotDedicated {
        arn: String,
        others: Vec<String>,
        more: usize,
    },
    CertificateAuthorityDedicationUnknown {
        arn: String,
        before_deploy: bool,
    },
    CertificateAuthorityNotShortLived {
        arn: String,
        usage: UsageMode,
    },
    /// The brokers log to no CloudWatch Logs group; `s3` and `firehose` name the destinations they
    /// do log to, which this project does not read.
    NoBrokerLogs {
        s3: bool,
        firehose: bool,
    },
    MissingTag(String),
    ServerlessCannotEnforceMtls,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::UnauthenticatedAccess(used) => write!(f, "unauthenticated access is enabled{}", used.describe()),
            Finding::TlsClientAuthenticationDisabled => write!(f, "TLS client authentication is disabled"),
            Finding::NoCertificateAuthority => write!(f, "no Private CA is set for TLS client authentication"),
            Finding::PlaintextListener { client_broker: Some(mode) } => {
                write!(f, "client-broker encryption is {mode}, not TLS: a plaintext listener is open")
            }
            Finding::PlaintextListener { client_broker: None } => write!(
                f,
                "client-broker encryption is not recorded (MSK default TLS_PLAINTEXT: a plaintext listener is open)"
            ),
            Finding::BrokerTrafficPlaintext => write!(
                f,
                "brokers replicate to each other in plaintext (in-cluster encryption is off)"
            ),
            Finding::SaslNotAllowed(mechanism, used) => {
                write!(f, "{} is enabled and not allowed{}", mechanism.label(), used.describe())
            }
            Finding::MultiVpcSaslNotAllowed(mechanism, used) => {
                write!(f, "multi-VPC connectivity allows {}{}", mechanism.label(), used.describe())
            }
            Finding::PublicAccess(kind) => {
                write!(f, "brokers are reachable from the internet (public access {kind})")
            }
            Finding::AuthorizationOpenByDefault(because) => {
                write!(f, "authorization open by default: {because}")
            }
            Finding::ZooKeeperReachable(because) => write!(
                f,
                "ZooKeeper is reachable directly: ACLs can be changed without a certificate ({because})"
            ),
            Finding::CertificateAuthorityNotAllowed(_)
            | Finding::CertificateAuthorityNotActive { .. }
            | Finding::CertificateAuthorityExpiring { .. }
            | Finding::CertificateAuthorityExpiryUnknown(_)
            | Finding::CertificateAuthorityNotFound(_)
            | Finding::CertificateAuthorityUnreadable { .. } => self.fmt_ca_health(f),
            Finding::CertificateAuthorityNotSubordinate { .. }
            | Finding::CertificateAuthorityIssuersOutside { .. }
            | Finding::CertificateAuthorityPolicyUnreadable { .. }
            | Finding::CertificateAuthorityNotDedicated { .. }
            | Finding::CertificateAuthorityDedicationUnknown { .. }
            | Finding::CertificateAuthorityNotShortLived { .. } => self.fmt_ca_trust(f),
            Finding::NoBrokerLogs { s3, firehose } => write!(
                f,
                "brokers log to no CloudWatch Logs group: refused clients are not counted{}",
                unread_destinations(*s3, *firehose)
            ),
            Finding::MissingTag(key) => write!(f, "tag {key:?} is missing"),
            Finding::ServerlessCannotEnforceMtls => {
                write!(f, "MSK Serverless supports only SASL/IAM and cannot enforce mTLS")
            }
        }
    }
}

/// The broker log destinations a cluster has that this project does not read.
fn unread_destinations(s3: bool, firehose: bool) -> &'static str {
    match (s3, firehose) {
        (false, false) => "",
        (true, false) => " (their S3 logs are not read)",
        (false, true) => " (their Firehose logs are not read)",
        (true, true) => " (their S3 and Firehose logs are not read)",
    }
}

impl Finding {
    /// The findings about a CA's allow-listing, status and expiry.
    fn fmt_ca_health(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::CertificateAuthorityNotAllowed(arn) => {
                write!(f, "CA {} is not on the allow-list", ca_id(arn))
            }
            Finding::CertificateAuthorityNotActive { arn, status } => {
                write!(f, "CA {} is {status}", ca_id(arn))
            }
            Finding::CertificateAuthorityExpiring { arn, days_left } if *days_left < 0 => {
                write!(f, "CA {} certificate has expired", ca_id(arn))
            }
            Finding::CertificateAuthorityExpiring { arn, days_left } => {
                write!(
                    f,
                    "CA {} certificate expires in {days_left} days",
                    ca_id(arn)
                )
            }
            Finding::CertificateAuthorityExpiryUnknown(arn) => {
                write!(f, "CA {} certificate expiry is unknown", ca_id(arn))
            }
            Finding::CertificateAuthorityNotFound(arn) => {
                write!(f, "CA {} does not exist", ca_id(arn))
            }
            Finding::CertificateAuthorityUnreadable { arn, reason } => {
                write!(f, "CA {} could not be checked ({reason})", ca_id(arn))
            }
            _ => unreachable!("not a CA health finding: {self:?}"),
        }
    }

    /// The findings about whom a CA lets in: its type, its issuers, the clusters it serves, how
    /// long its certificates live.
    fn fmt_ca_trust(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::CertificateAuthorityNotSubordinate { arn, kind: CaKind::Root } => write!(
                f,
                "CA {} is a root CA trusted directly: every CA under it can issue client certificates",
                ca_id(arn)
            ),
            Finding::CertificateAuthorityNotSubordinate { arn, kind } => {
                write!(f, "CA {} is of type {kind}, not SUBORDINATE", ca_id(arn))
            }
            Finding::CertificateAuthorityIssuersOutside { arn, issuers } => write!(
                f,
                "CA {} lets other accounts issue client certificates: {}",
                ca_id(arn),
                issuers.join(", ")
            ),
            Finding::CertificateAuthorityPolicyUnreadable { arn, reason } => {
                write!(f, "CA {} resource policy could not be read ({reason})", ca_id(arn))
            }
            Finding::CertificateAuthorityNotDedicated { arn, others, more: 0 } => write!(
                f,
                "CA {} is also trusted by cluster(s) {}",
                ca_id(arn),
                others.join(", ")
            ),
            Finding::CertificateAuthorityNotDedicated { arn, others, more } => write!(
                f,
                "CA {} is also trusted by cluster(s) {} and {more} more",
                ca_id(arn),
                others.join(", ")
            ),
            Finding::CertificateAuthorityDedicationUnknown { arn, before_deploy: true } => write!(
                f,
                "whether CA {} is trusted by other clusters is not known before deploy",
                ca_id(arn)
            ),
            Finding::CertificateAuthorityDedicationUnknown { arn, .. } => write!(
                f,
                "whether CA {} is trusted by other clusters is unknown (the account's clusters were not listed)",
                ca_id(arn)
            ),
            Finding::CertificateAuthorityNotShortLived { arn, usage } => write!(
                f,
                "CA {} issues {usage} certificates, not short-lived ones (MSK never checks revocation)",
                ca_id(arn)
            ),
            _ => unreachable!("not a CA trust finding: {self:?}"),
        }
    }

    /// Whether the finding fails the cluster: a finding of a check the parameters leave advisory
    /// (the ACL default, unless `requireAclDefaultDeny`), or of a setting that does not exist
    /// before the cluster does (ZooKeeper access, for a template), is a note beside the verdict
    /// instead, shown and never hidden.
    pub fn fails(&self, params: &RuleParams) -> bool {
        match self {
            Finding::AuthorizationOpenByDefault(_) => params.require_acl_default_deny,
            Finding::ZooKeeperReachable(because) => *because != OnBecause::NotKnownBeforeDeploy,
            Finding::CertificateAuthorityDedicationUnknown { before_deploy, .. } => !before_deploy,
            _ => true,
        }
    }

    /// The door this finding says is open, for the findings of a door a service may need.
    pub fn door(&self) -> Option<Door> {
        match self {
            Finding::UnauthenticatedAccess(_) => Some(Door::Unauthenticated),
            Finding::SaslNotAllowed(mechanism, _) => Some(Door::Sasl(*mechanism)),
            Finding::MultiVpcSaslNotAllowed(mechanism, _) => Some(Door::MultiVpcSasl(*mechanism)),
            _ => None,
        }
    }

    /// The finding as the 256-character annotation shows it: a door's first user named, the
    /// others counted (`--explain`, alerts and `audit` name them all).
    pub fn brief(&self) -> String {
        if let Finding::CertificateAuthorityNotDedicated { arn, others, more } = self {
            return match others.as_slice() {
                [first, rest @ ..] if !rest.is_empty() || *more > 0 => format!(
                    "CA {} is also trusted by cluster {first} and {} more",
                    ca_id(arn),
                    rest.len() + more
                ),
                _ => self.to_string(),
            };
        }
        let mut bare = self.clone();
        let used = match &mut bare {
            Finding::UnauthenticatedAccess(used)
            | Finding::SaslNotAllowed(_, used)
            | Finding::MultiVpcSaslNotAllowed(_, used) => std::mem::take(used),
            _ => return self.to_string(),
        };
        format!("{bare}{}", used.summarise())
    }

    /// Whether it says topics without an ACL are open to every client certificate (for the counts
    /// of `audit` and the dashboard, noted or failed alike).
    pub fn opens_authorization_by_default(&self) -> bool {
        matches!(self, Finding::AuthorizationOpenByDefault(_))
    }

    /// The check this finding comes from.
    pub fn check(&self) -> &'static Check {
        CHECKS
            .iter()
            .find(|check| (check.covers)(self))
            .unwrap_or(&CHECKS[0])
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
    /// The cluster's ARN (or a template's logical id), which the fleet's listing names it by.
    pub resource_id: &'a str,
    /// The health of the CAs looked up; a CA missing here was not checked.
    pub cas: &'a CaHealthReport,
    /// The CAs' type, usage mode and issuers, and the clusters trusting each, where read.
    pub trust: &'a CaTrust,
    /// The configuration revisions read; a revision missing here was not read.
    pub configurations: &'a ConfigurationReport,
    /// Whether the cluster's ZooKeeper is reachable directly, for a ZooKeeper-mode cluster;
    /// `None` when not read, which is never off.
    pub zookeeper: Option<&'a ZooKeeperAccess>,
    /// Who uses each door the cluster has open, where looked up (a door missing here names nobody).
    pub used_by: &'a BTreeMap<Door, UsedBy>,
    pub now: Timestamp,
}

impl Inputs<'_> {
    /// Who uses `door`, as looked up (nobody named when it was not).
    fn users(&self, door: Door) -> UsedBy {
        self.used_by.get(&door).cloned().unwrap_or_default()
    }
}

/// How an owner fixes what a check found: on the running cluster, in a CloudFormation template, in
/// a Terraform configuration. `<arn>`, `<version>` and `<ca-arn>` stand for the cluster's ARN, its
/// current version (`aws kafka describe-cluster-v2`) and the Private CA's ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remediation {
    pub in_place: InPlace,
    /// The property path in `AWS::MSK::Cluster`.
    pub cloudformation: &'static str,
    /// The argument of the `aws_msk_cluster` resource.
    pub terraform: &'static str,
}

/// A fix's text without its Markdown code marks, for JSON, SARIF and alerts.
pub fn plain(text: &str) -> String {
    text.replace('`', "")
}

/// What to do to the running cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InPlace {
    /// An AWS CLI command that changes it in place.
    Command(&'static str),
    /// Why the cluster cannot be changed in place, and what to do instead.
    NotPossible(&'static str),
    /// A command that changes it in place once something else is done first (which no command of
    /// the rule's can do for the owner).
    AfterFirst {
        first: &'static str,
        command: &'static str,
    },
}

impl fmt::Display for InPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InPlace::Command(command) => f.write_str(command),
            InPlace::NotPossible(why) => write!(f, "not in place: {why}"),
            InPlace::AfterFirst { first, command } => write!(f, "first {first}; then {command}"),
        }
    }
}

pub struct Check {
    pub name: &'static str,
    /// How serious a failure is, for ASFF and OCSF (README: "Severities").
    pub severity: Severity,
    /// Whether the parameters have the check made (on a provisioned cluster; the serverless check
    /// on a serverless one): a check not made is never reported as passed.
    pub made: fn(&RuleParams) -> bool,
    /// Whether the check reads the CA's description (type, usage mode), which a CA that could not
    /// be described lacks: no finding then means not judged, not passed (CA health names why).
    pub needs_ca_described: bool,
    /// When the check fails, for the README.
    pub fails_when: &'static str,
    /// What the owner changes.
    pub remediation: Remediation,
    pub find: fn(&Inputs) -> Vec<Finding>,
    /// The findings that are this check's (each finding is one check's: tested).
    pub covers: fn(&Finding) -> bool,
    /// Findings that show every annotation the check writes, for the README.
    pub examples: fn() -> Vec<Finding>,
}

/// A check is known by its name, which the table keeps unique.
impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Check {}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Check({:?})", self.name)
    }
}

/// How serious a check's failure is, on the scale ASFF and OCSF share. Security Hub rates its own
/// MSK controls so: public access critical, an open door or plaintext high (README: "Severities").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// ASFF's `Severity.Label`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// The checks, in the order their findings are named.
pub const CHECKS: &[Check] = &[
    Check {
        name: "unauthenticated access",
        severity: Severity::High,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::UnauthenticatedAccess(_)),
        fails_when: "`ClientAuthentication.Unauthenticated.Enabled` is true or not recorded, or no client authentication is configured at all (MSK then admits anyone)",
        remediation: Remediation {
            in_place: InPlace::Command(MTLS_ONLY),
            cloudformation: "`ClientAuthentication.Unauthenticated.Enabled: false`",
            terraform: "`client_authentication { unauthenticated = false }`",
        },
        find: |inputs| provisioned(inputs, |facts| only_if(facts.unauthenticated_access, Finding::UnauthenticatedAccess(inputs.users(Door::Unauthenticated)))),
        examples: || vec![
            Finding::UnauthenticatedAccess(UsedBy::default()),
            Finding::UnauthenticatedAccess(UsedBy { users: vec![DoorUser::Connector("legacy-source".into())], unread: Vec::new() }),
        ],
    },
    Check {
        name: "TLS client authentication",
        severity: Severity::High,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::TlsClientAuthenticationDisabled),
        fails_when: "`ClientAuthentication.Tls.Enabled` is false, or the `Tls` block is absent, or it has neither `Enabled` nor a CA (a CA list without `Enabled` is on: AWS's own procedure, \"Create a cluster that supports client authentication\", writes it so)",
        remediation: Remediation {
            in_place: InPlace::Command(MTLS_ONLY),
            cloudformation: "`ClientAuthentication.Tls.Enabled: true`",
            terraform: "`client_authentication { tls { certificate_authority_arns = [\"<ca-arn>\"] } }`",
        },
        find: |inputs| provisioned(inputs, |facts| only_if(!facts.tls_client_authentication, Finding::TlsClientAuthenticationDisabled)),
        examples: || vec![Finding::TlsClientAuthenticationDisabled],
    },
    Check {
        name: "Private CA",
        severity: Severity::High,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::NoCertificateAuthority),
        fails_when: "`Tls.CertificateAuthorityArnList` is empty",
        remediation: Remediation {
            in_place: InPlace::Command(MTLS_ONLY),
            cloudformation: "`ClientAuthentication.Tls.CertificateAuthorityArnList: [<ca-arn>]`",
            terraform: "`client_authentication { tls { certificate_authority_arns = [\"<ca-arn>\"] } }`",
        },
        find: |inputs| provisioned(inputs, |facts| only_if(facts.certificate_authority_arns.is_empty(), Finding::NoCertificateAuthority)),
        examples: || vec![Finding::NoCertificateAuthority],
    },
    Check {
        name: "TLS-only listener",
        severity: Severity::High,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::PlaintextListener { .. }),
        fails_when: "`EncryptionInTransit.ClientBroker` is `TLS_PLAINTEXT`, `PLAINTEXT`, or not recorded (botocore's model gives `TLS_PLAINTEXT` as MSK's default, the MSK API reference `TLS`: the unsafe one is taken): a plaintext listener authenticates nobody",
        remediation: Remediation {
            in_place: InPlace::Command(r#"aws kafka update-security --cluster-arn <arn> --current-version <version> --encryption-info '{"EncryptionInTransit":{"ClientBroker":"TLS"}}'"#),
            cloudformation: "`EncryptionInfo.EncryptionInTransit.ClientBroker: TLS`",
            terraform: "`encryption_info { encryption_in_transit { client_broker = \"TLS\" } }`",
        },
        find: |inputs| provisioned(inputs, |facts| {
            only_if(facts.client_broker != Some(ClientBroker::Tls), Finding::PlaintextListener { client_broker: facts.client_broker })
        }),
        examples: || vec![
            Finding::PlaintextListener { client_broker: Some(ClientBroker::TlsPlaintext) },
            Finding::PlaintextListener { client_broker: None },
        ],
    },
    Check {
        name: "encryption between brokers",
        severity: Severity::Medium,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::BrokerTrafficPlaintext),
        fails_when: "`EncryptionInTransit.InCluster` is false (not recorded reads as MSK's documented default, true); AWS's own mTLS procedure sets it and MSK requires it for SASL. Replaces Config's `msk-in-cluster-node-require-tls` and Security Hub MSK.1",
        remediation: Remediation {
            in_place: InPlace::NotPossible("in-cluster encryption is set when a cluster is created (create-only in the CloudFormation schema): create a cluster with `InCluster: true` (`aws kafka create-cluster-v2`) and move the clients to it"),
            cloudformation: "`EncryptionInfo.EncryptionInTransit.InCluster: true` (a replacement)",
            terraform: "`encryption_info { encryption_in_transit { in_cluster = true } }` (a replacement)",
        },
        find: |inputs| provisioned(inputs, |facts| only_if(facts.broker_traffic_plaintext, Finding::BrokerTrafficPlaintext)),
        examples: || vec![Finding::BrokerTrafficPlaintext],
    },
    Check {
        name: "SASL",
        severity: Severity::Medium,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::SaslNotAllowed(..)),
        fails_when: "SASL/IAM or SASL/SCRAM is enabled (or recorded without its flag) and not in `allowedSaslMechanisms`",
        remediation: Remediation {
            in_place: InPlace::Command(MTLS_ONLY),
            cloudformation: "`ClientAuthentication.Sasl.Iam.Enabled: false`, `ClientAuthentication.Sasl.Scram.Enabled: false` (or allow the mechanism in `allowedSaslMechanisms`)",
            terraform: "`client_authentication { sasl { iam = false, scram = false } }`",
        },
        find: |inputs| provisioned(inputs, |facts| {
            facts.sasl_mechanisms.difference(&inputs.params.allowed_sasl_mechanisms).map(|m| Finding::SaslNotAllowed(*m, inputs.users(Door::Sasl(*m)))).collect()
        }),
        examples: || vec![
            Finding::SaslNotAllowed(SaslMechanism::Iam, UsedBy::default()),
            Finding::SaslNotAllowed(SaslMechanism::Iam, UsedBy { users: vec![DoorUser::Connector("orders-sink".into()), DoorUser::Replicator("orders-to-eu".into())], unread: Vec::new() }),
        ],
    },
    Check {
        name: "multi-VPC connectivity",
        severity: Severity::Medium,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::MultiVpcSaslNotAllowed(..)),
        fails_when: "`ConnectivityInfo.VpcConnectivity.ClientAuthentication` opens SASL/IAM or SASL/SCRAM not in `allowedSaslMechanisms`",
        remediation: Remediation {
            in_place: InPlace::Command(r#"aws kafka update-connectivity --cluster-arn <arn> --current-version <version> --connectivity-info '{"VpcConnectivity":{"ClientAuthentication":{"Tls":{"Enabled":true},"Sasl":{"Iam":{"Enabled":false},"Scram":{"Enabled":false}}}}}'"#),
            cloudformation: "`BrokerNodeGroupInfo.ConnectivityInfo.VpcConnectivity.ClientAuthentication.Sasl.Iam.Enabled: false` (and `Scram`)",
            terraform: "`broker_node_group_info { connectivity_info { vpc_connectivity { client_authentication { tls = true, sasl { iam = false, scram = false } } } } }`",
        },
        find: |inputs| provisioned(inputs, |facts| {
            facts.multi_vpc.sasl_mechanisms.difference(&inputs.params.allowed_sasl_mechanisms).map(|m| Finding::MultiVpcSaslNotAllowed(*m, inputs.users(Door::MultiVpcSasl(*m)))).collect()
        }),
        examples: || vec![
            Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram, UsedBy::default()),
            Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram, UsedBy {
                users: vec![DoorUser::VpcConnection { arn: "arn:aws:kafka:us-east-1:444455556666:vpc-connection/111122223333/orders/1a2b3c".into(), owner: Some("444455556666".into()) }],
                unread: Vec::new(),
            }),
        ],
    },
    Check {
        name: "public access",
        severity: Severity::Critical,
        made: |params| !params.allow_public_access,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::PublicAccess(_)),
        fails_when: "`BrokerNodeGroupInfo.ConnectivityInfo.PublicAccess.Type` is not `DISABLED` (not recorded reads as `DISABLED`, MSK's documented default: public access can only be turned on after creation), unless `allowPublicAccess` is `true`; every other check still holds then. Replaces Config's `msk-cluster-public-access-disabled` and Security Hub MSK.4",
        remediation: Remediation {
            in_place: InPlace::Command(r#"aws kafka update-connectivity --cluster-arn <arn> --current-version <version> --connectivity-info '{"PublicAccess":{"Type":"DISABLED"}}'"#),
            cloudformation: "`BrokerNodeGroupInfo.ConnectivityInfo.PublicAccess.Type: DISABLED`",
            terraform: "`broker_node_group_info { connectivity_info { public_access { type = \"DISABLED\" } } }`",
        },
        find: |inputs| provisioned(inputs, |facts| {
            only_if(facts.public_access != PublicAccess::Disabled && !inputs.params.allow_public_access, Finding::PublicAccess(facts.public_access))
        }),
        examples: || vec![Finding::PublicAccess(PublicAccess::ServiceProvidedEips)],
    },
    Check {
        name: "authorization closed by default",
        severity: Severity::Medium,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::AuthorizationOpenByDefault(_)),
        fails_when: "with `requireAclDefaultDeny` `true`: `allow.everyone.if.no.acl.found` in the configuration the brokers run (`ConfigurationInfo`, read with DescribeConfigurationRevision; the key exactly, the last one given, as Kafka reads `server.properties`) is not `false`, or the cluster runs MSK's default configuration (which sets it true), or the configuration cannot be read. With `false` (the default) the same reading is a note on the result, never hidden. ACL contents are not judged: default-deny does not prove the ACLs are narrow",
        remediation: Remediation {
            in_place: InPlace::AfterFirst {
                first: "create the ACLs every client needs (`kafka-acls.sh --add`), or the fix locks them out; create a configuration with `allow.everyone.if.no.acl.found=false` (`aws kafka create-configuration --name <name> --server-properties fileb://server.properties`)",
                command: r#"aws kafka update-cluster-configuration --cluster-arn <arn> --current-version <version> --configuration-info '{"Arn":"<configuration-arn>","Revision":1}'"#,
            },
            cloudformation: "an `AWS::MSK::Configuration` whose `ServerProperties` holds `allow.everyone.if.no.acl.found=false`, in `ConfigurationInfo`",
            terraform: "an `aws_msk_configuration` whose `server_properties` holds `allow.everyone.if.no.acl.found=false`, in `configuration_info { arn, revision }`",
        },
        find: |inputs| provisioned(inputs, |facts| match facts.configuration.acl_default(inputs.configurations) {
            AclDefault::Deny => Vec::new(),
            AclDefault::Allow(because) => vec![Finding::AuthorizationOpenByDefault(because)],
        }),
        examples: || vec![
            Finding::AuthorizationOpenByDefault(OpenBecause::PropertyTrue),
            Finding::AuthorizationOpenByDefault(OpenBecause::MskDefaultConfiguration),
            Finding::AuthorizationOpenByDefault(OpenBecause::PropertyNotSet),
        ],
    },
    Check {
        name: "ZooKeeper direct access",
        severity: Severity::High,
        made: |_| true,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::ZooKeeperReachable(_)),
        fails_when: "the cluster runs ZooKeeper mode with Standard brokers (a `KafkaVersion` before 4 without `.kraft`, or none recorded; not `express.*` brokers) and its operations (ListClusterOperations) do not show direct ZooKeeper access turned off by the latest completed change, or cannot be read: whoever reaches ports 2181/2182 can rewrite the ACLs without a certificate. Before the cluster exists (`check`, the hook) it is a note: MSK creates clusters with it on",
        remediation: Remediation {
            in_place: InPlace::AfterFirst {
                first: "move every tool that connects to ZooKeeper (`--zookeeper`, `zookeeper.connect`) to the bootstrap brokers",
                command: r#"aws kafka update-connectivity --cluster-arn <arn> --current-version <version> --zookeeper-access '{"Enabled":false}'"#,
            },
            cloudformation: "no property turns it off: after creation, the command; or a KRaft `KafkaVersion` (`3.7.x.kraft` or later), which has no ZooKeeper (a replacement)",
            terraform: "no argument turns it off: after creation, the command; or `kafka_version = \"3.7.x.kraft\"` or later, which has no ZooKeeper (a replacement)",
        },
        find: |inputs| provisioned(inputs, |facts| match (facts.metadata, inputs.zookeeper) {
            (Metadata::KRaft | Metadata::ExpressBrokers, _) | (Metadata::ZooKeeper, Some(ZooKeeperAccess::Off)) => Vec::new(),
            (Metadata::ZooKeeper, Some(ZooKeeperAccess::On(because))) => vec![Finding::ZooKeeperReachable(because.clone())],
            (Metadata::ZooKeeper, None) => vec![Finding::ZooKeeperReachable(OnBecause::Unreadable("not read".to_owned()))],
        }),
        examples: || vec![
            Finding::ZooKeeperReachable(OnBecause::NeverTurnedOff),
            Finding::ZooKeeperReachable(OnBecause::TurnedOn),
            Finding::ZooKeeperReachable(OnBecause::NotKnownBeforeDeploy),
        ],
    },
    Check {
        name: "CA allow-list",
        severity: Severity::High,
        made: |params| params.allowed_certificate_authority_arns.is_some(),
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::CertificateAuthorityNotAllowed(_)),
        fails_when: "a CA is not in `allowedCertificateAuthorityArns` (when given)",
        remediation: Remediation {
            in_place: InPlace::Command(MTLS_ONLY),
            cloudformation: "`ClientAuthentication.Tls.CertificateAuthorityArnList`: only allowed CAs",
            terraform: "`client_authentication { tls { certificate_authority_arns } }`: only allowed CAs",
        },
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
        severity: Severity::Medium,
        made: |params| params.check_certificate_authority_status,
        needs_ca_described: false,
        covers: |finding| matches!(
            finding,
            Finding::CertificateAuthorityNotActive { .. }
                | Finding::CertificateAuthorityExpiring { .. }
                | Finding::CertificateAuthorityExpiryUnknown(_)
                | Finding::CertificateAuthorityNotFound(_)
                | Finding::CertificateAuthorityUnreadable { .. }
        ),
        fails_when: "with `checkCertificateAuthorityStatus` (default on; off, no CA is read and none of the CA checks below is made): the CA is not `ACTIVE`, its certificate expires within `certificateAuthorityExpiryDays` or has expired, its expiry is unknown, it does not exist, or it cannot be read (e.g. AccessDenied on a CA shared from another account)",
        remediation: Remediation {
            in_place: InPlace::NotPossible("the CA is what needs the fix: `aws acm-pca update-certificate-authority --certificate-authority-arn <ca-arn> --status ACTIVE` for a disabled CA, or issue and import a new CA certificate before it expires (`aws acm-pca import-certificate-authority-certificate`), or move the cluster to a healthy CA with `aws kafka update-security`; for a CA shared from another account, let the rule's role call `acm-pca:DescribeCertificateAuthority` on it"),
            cloudformation: "`ClientAuthentication.Tls.CertificateAuthorityArnList`: a healthy CA",
            terraform: "`client_authentication { tls { certificate_authority_arns } }`: a healthy CA",
        },
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
        name: "root CA",
        severity: Severity::Medium,
        made: |params| params.check_certificate_authority_status && !params.allow_root_certificate_authority,
        needs_ca_described: true,
        covers: |finding| matches!(finding, Finding::CertificateAuthorityNotSubordinate { .. }),
        fails_when: "a CA in the list is a `ROOT` CA (or of a type this build does not know), unless `allowRootCertificateAuthority` is `true`: the brokers validate the chain a client presents, so every subordinate CA under a trusted root can issue clients too. AWS's Private CA best practices: a root CA \"should in general only be used to issue certificates for intermediate CAs\"",
        remediation: Remediation {
            in_place: InPlace::AfterFirst {
                first: "create a subordinate CA under the root (`aws acm-pca create-certificate-authority --certificate-authority-type SUBORDINATE`), sign and import its certificate, and issue the clients' certificates from it",
                command: MTLS_ONLY,
            },
            cloudformation: "`ClientAuthentication.Tls.CertificateAuthorityArnList`: a CA with `Type: SUBORDINATE` (`AWS::ACMPCA::CertificateAuthority`)",
            terraform: "`client_authentication { tls { certificate_authority_arns } }`: an `aws_acmpca_certificate_authority` with `type = \"SUBORDINATE\"`",
        },
        find: |inputs| provisioned(inputs, |facts| {
            // A CA not described has no profile here: CA health says why (or the CA checks are off).
            if inputs.params.allow_root_certificate_authority {
                return Vec::new();
            }
            facts.certificate_authority_arns.iter()
                .filter_map(|arn| match inputs.trust.profiles.get(arn).map(|profile| &profile.kind) {
                    Some(CaKind::Subordinate) | None => None,
                    Some(kind) => Some(Finding::CertificateAuthorityNotSubordinate { arn: arn.clone(), kind: kind.clone() }),
                })
                .collect()
        }),
        examples: || vec![
            Finding::CertificateAuthorityNotSubordinate { arn: EXAMPLE_CA.into(), kind: CaKind::Root },
            Finding::CertificateAuthorityNotSubordinate { arn: EXAMPLE_CA.into(), kind: CaKind::Unknown("INTERMEDIATE".into()) },
        ],
    },
    Check {
        name: "CA issuers",
        severity: Severity::High,
        made: |params| params.check_certificate_authority_status,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::CertificateAuthorityIssuersOutside { .. } | Finding::CertificateAuthorityPolicyUnreadable { .. }),
        fails_when: "the CA's resource policy (`acm-pca:GetPolicy`; an AWS RAM share writes it too) has an `Allow` of `acm-pca:IssueCertificate` for a principal outside the CA's account (`*` included, whatever its conditions: a condition is never read as narrowing) not in `allowedIssuerAccounts`, or the policy cannot be read: whoever can issue from the CA can mint a Kafka client",
        remediation: Remediation {
            in_place: InPlace::NotPossible("the CA's policy is what needs the fix: `aws acm-pca delete-policy --resource-arn <ca-arn>` or `put-policy` without the other accounts' `acm-pca:IssueCertificate`, or remove the CA from its AWS RAM share; or allow the accounts in `allowedIssuerAccounts`. For a policy that cannot be read, let the rule's role call `acm-pca:GetPolicy` on the CA"),
            cloudformation: "no `AWS::RAM::ResourceShare` of the CA to other accounts",
            terraform: "no `aws_acmpca_policy` granting `acm-pca:IssueCertificate` to other accounts, no `aws_ram_resource_association` of the CA",
        },
        find: |inputs| provisioned(inputs, |facts| {
            // With the CA checks off no policy is read, and one not read is then no finding.
            let read = inputs.params.check_certificate_authority_status;
            facts.certificate_authority_arns.iter()
                .filter_map(|arn| match inputs.trust.issuers.get(arn) {
                    None if !read => None,
                    issuers => issuers_finding(arn, issuers, &inputs.params.allowed_issuer_accounts),
                })
                .collect()
        }),
        examples: || vec![
            Finding::CertificateAuthorityIssuersOutside { arn: EXAMPLE_CA.into(), issuers: vec!["444455556666".into(), "*".into()] },
            Finding::CertificateAuthorityPolicyUnreadable { arn: EXAMPLE_CA.into(), reason: "AccessDeniedException: needs acm-pca:GetPolicy".into() },
        ],
    },
    Check {
        name: "CA per cluster",
        severity: Severity::Medium,
        made: |params| params.certificate_authority_per_cluster,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::CertificateAuthorityNotDedicated { .. } | Finding::CertificateAuthorityDedicationUnknown { .. }),
        fails_when: "with `certificateAuthorityPerCluster` `true`: a CA in the list is trusted by another cluster of the account and region too (each of them fails, naming the others), as AWS recommends \"independent AWS Private CA for each MSK cluster\". Before deploy it is a note: the other clusters are not known",
        remediation: Remediation {
            in_place: InPlace::AfterFirst {
                first: "create a Private CA for this cluster alone and issue its clients' certificates from it",
                command: MTLS_ONLY,
            },
            cloudformation: "`ClientAuthentication.Tls.CertificateAuthorityArnList`: a CA no other cluster lists",
            terraform: "`client_authentication { tls { certificate_authority_arns } }`: a CA no other cluster lists",
        },
        find: |inputs| provisioned(inputs, |facts| {
            if !inputs.params.certificate_authority_per_cluster {
                return Vec::new();
            }
            facts.certificate_authority_arns.iter()
                .filter_map(|arn| dedication_finding(arn, inputs.resource_id, &inputs.trust.fleet))
                .collect()
        }),
        examples: || vec![
            Finding::CertificateAuthorityNotDedicated { arn: EXAMPLE_CA.into(), others: vec!["payments".into()], more: 0 },
            Finding::CertificateAuthorityNotDedicated { arn: EXAMPLE_CA.into(), others: vec!["payments".into(), "orders".into()], more: 12 },
            Finding::CertificateAuthorityDedicationUnknown { arn: EXAMPLE_CA.into(), before_deploy: true },
            Finding::CertificateAuthorityDedicationUnknown { arn: EXAMPLE_CA.into(), before_deploy: false },
        ],
    },
    Check {
        name: "short-lived certificates",
        severity: Severity::Low,
        made: |params| params.check_certificate_authority_status && params.require_short_lived_certificates,
        needs_ca_described: true,
        covers: |finding| matches!(finding, Finding::CertificateAuthorityNotShortLived { .. }),
        fails_when: "with `requireShortLivedCertificates` `true`: a CA in the list is not in `SHORT_LIVED_CERTIFICATE` usage mode (no mode recorded reads as ACM PCA's default, `GENERAL_PURPOSE`): MSK never checks revocation, so only a short validity (at most 7 days) bounds how long a leaked certificate works. AWS does not document whether MSK takes a short-lived CA (see the README)",
        remediation: Remediation {
            in_place: InPlace::AfterFirst {
                first: "create a CA in short-lived mode (`aws acm-pca create-certificate-authority --usage-mode SHORT_LIVED_CERTIFICATE`) and issue the clients' certificates from it, renewed before their 7 days are up",
                command: MTLS_ONLY,
            },
            cloudformation: "`ClientAuthentication.Tls.CertificateAuthorityArnList`: a CA with `UsageMode: SHORT_LIVED_CERTIFICATE` (`AWS::ACMPCA::CertificateAuthority`)",
            terraform: "`client_authentication { tls { certificate_authority_arns } }`: an `aws_acmpca_certificate_authority` with `usage_mode = \"SHORT_LIVED_CERTIFICATE\"`",
        },
        find: |inputs| provisioned(inputs, |facts| {
            if !inputs.params.require_short_lived_certificates {
                return Vec::new();
            }
            facts.certificate_authority_arns.iter()
                .filter_map(|arn| match inputs.trust.profiles.get(arn).map(|profile| &profile.usage) {
                    Some(UsageMode::ShortLivedCertificate) | None => None,
                    Some(usage) => Some(Finding::CertificateAuthorityNotShortLived { arn: arn.clone(), usage: usage.clone() }),
                })
                .collect()
        }),
        examples: || vec![Finding::CertificateAuthorityNotShortLived { arn: EXAMPLE_CA.into(), usage: UsageMode::GeneralPurpose }],
    },
    Check {
        name: "broker logs",
        severity: Severity::Low,
        made: |params| params.require_broker_logs,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::NoBrokerLogs { .. }),
        fails_when: "with `requireBrokerLogs` `true`: the brokers deliver their logs to no CloudWatch Logs group (`LoggingInfo.BrokerLogs.CloudWatchLogs` off or absent, MSK's default), so no refused client is ever counted (`RejectedHandshakes`). S3 and Firehose destinations do not count: the rule does not read them (`msk-mtls-rule rejections` counts S3's files offline)",
        remediation: Remediation {
            in_place: InPlace::Command("aws kafka update-monitoring --cluster-arn <arn> --current-version <version> --logging-info '{\"BrokerLogs\":{\"CloudWatchLogs\":{\"Enabled\":true,\"LogGroup\":\"<group>\"}}}'"),
            cloudformation: "`LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: <group> } } }`, and the group in the stack's `BrokerLogGroups`",
            terraform: "`logging_info { broker_logs { cloudwatch_logs { enabled = true, log_group = <group> } } }`",
        },
        find: |inputs| provisioned(inputs, |facts| {
            let logs = &facts.broker_logs;
            only_if(
                inputs.params.require_broker_logs && logs.cloudwatch_log_group.is_none(),
                Finding::NoBrokerLogs { s3: logs.s3, firehose: logs.firehose },
            )
        }),
        examples: || vec![
            Finding::NoBrokerLogs { s3: false, firehose: false },
            Finding::NoBrokerLogs { s3: true, firehose: false },
            Finding::NoBrokerLogs { s3: false, firehose: true },
            Finding::NoBrokerLogs { s3: true, firehose: true },
        ],
    },
    Check {
        name: "required tags",
        severity: Severity::Low,
        made: |params| !params.required_tag_keys.is_empty(),
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::MissingTag(_)),
        fails_when: "a key of `requiredTagKeys` is missing",
        remediation: Remediation {
            in_place: InPlace::Command("aws kafka tag-resource --resource-arn <arn> --tags owner=<owner>"),
            cloudformation: "`Tags: { owner: <owner> }`",
            terraform: "`tags = { owner = \"<owner>\" }`",
        },
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
        severity: Severity::Medium,
        made: |params| params.serverless_cluster_compliance == ComplianceType::NonCompliant,
        needs_ca_described: false,
        covers: |finding| matches!(finding, Finding::ServerlessCannotEnforceMtls),
        fails_when: "the cluster is an `AWS::MSK::ServerlessCluster` and `serverlessClusterCompliance` is `NON_COMPLIANT` (by default it is NOT_APPLICABLE)",
        remediation: Remediation {
            in_place: InPlace::NotPossible("MSK Serverless supports SASL/IAM only and cannot be changed to mTLS: create a provisioned cluster with mTLS (`aws kafka create-cluster-v2`) and move the clients that need mTLS to it"),
            cloudformation: "an `AWS::MSK::Cluster` in place of the `AWS::MSK::ServerlessCluster`",
            terraform: "an `aws_msk_cluster` in place of the `aws_msk_serverless_cluster`",
        },
        find: |inputs| match inputs.cluster {
            Cluster::Serverless => vec![Finding::ServerlessCannotEnforceMtls],
            Cluster::Provisioned(_) => Vec::new(),
        },
        examples: || vec![Finding::ServerlessCannotEnforceMtls],
    },
];

/// The CA ARN the examples name, whose id reads as `<id>`.
const EXAMPLE_CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/<id>";

/// The finding when `condition` holds, for the checks that make at most one.
fn only_if(condition: bool, finding: Finding) -> Vec<Finding> {
    if condition {
        vec![finding]
    } else {
        Vec::new()
    }
}

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

/// A CA's issuers outside its account that are not allowed; a policy that could not be read (or
/// was not looked up) is a finding, never "nobody".
fn issuers_finding(
    arn: &str,
    issuers: Option<&Issuers>,
    allowed: &BTreeSet<String>,
) -> Option<Finding> {
    match issuers {
        None => Some(Finding::CertificateAuthorityPolicyUnreadable {
            arn: arn.to_owned(),
            reason: "not looked up".to_owned(),
        }),
        Some(Issuers::Unknown(reason)) => Some(Finding::CertificateAuthorityPolicyUnreadable {
            arn: arn.to_owned(),
            reason: reason.clone(),
        }),
        Some(Issuers::Known(issuers)) => {
            let outside: Vec<String> = issuers
                .iter()
                .filter(|issuer| !allowed.contains(*issuer))
                .cloned()
                .collect();
            (!outside.is_empty()).then(|| Finding::CertificateAuthorityIssuersOutside {
                arn: arn.to_owned(),
                issuers: outside,
            })
        }
    }
}

/// A finding names this many of the other clusters that trust its CA, and counts the rest: the
/// annotation shows the first, and a CA trusted by the whole fleet never makes a finding as long.
const OTHERS_NAMED: usize = 10;

/// The other clusters that trust a CA, by name, from the account's listing.
fn dedication_finding(arn: &str, resource_id: &str, fleet: &Fleet) -> Option<Finding> {
    let arn = arn.to_owned();
    match fleet {
        Fleet::NotKnownBeforeDeploy => Some(Finding::CertificateAuthorityDedicationUnknown {
            arn,
            before_deploy: true,
        }),
        Fleet::NotListed => Some(Finding::CertificateAuthorityDedicationUnknown {
            arn,
            before_deploy: false,
        }),
        Fleet::Listed(trusted_by) => {
            let mut others = trusted_by
                .get(&arn)
                .into_iter()
                .flatten()
                .filter(|cluster| cluster.as_str() != resource_id);
            let named: Vec<String> = others
                .by_ref()
                .take(OTHERS_NAMED)
                .map(|cluster| cluster_name_or_id(cluster).into_owned())
                .collect();
            let more = others.count();
            (!named.is_empty()).then_some(Finding::CertificateAuthorityNotDedicated {
                arn,
                others: named,
                more,
            })
        }
    }
}

/// The README's table of checks, rendered from `CHECKS`.
pub fn markdown_table() -> String {
    let mut table =
        String::from("| check | severity | fails when | annotation |\n|---|---|---|---|\n");
    for check in CHECKS {
        let annotations: Vec<String> = (check.examples)()
            .iter()
            .map(|f| format!("`{f}`"))
            .collect();
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            check.name,
            check.severity.label().to_lowercase(),
            check.fails_when,
            annotations.join(", ")
        ));
    }
    table
}

/// The command most fixes share, MSK's UpdateSecurity with TLS client authentication and the
/// Private CA on, every other way in off.
pub const MTLS_ONLY: &str = r#"aws kafka update-security --cluster-arn <arn> --current-version <version> --client-authentication '{"Tls":{"Enabled":true,"CertificateAuthorityArnList":["<ca-arn>"]},"Unauthenticated":{"Enabled":false},"Sasl":{"Iam":{"Enabled":false},"Scram":{"Enabled":false}}}'"#;

/// docs/fixes.md's table of fixes, rendered from `CHECKS`, with the command most of them share
/// written once, after the table.
pub fn remediation_table() -> String {
    let mut table = String::from(
        "| check | on the running cluster | CloudFormation | Terraform |\n|---|---|---|---|\n",
    );
    for check in CHECKS {
        let fix = &check.remediation;
        let in_place = match fix.in_place {
            InPlace::Command(MTLS_ONLY) => "the mTLS-only command (below)".to_owned(),
            InPlace::Command(command) => format!("`{command}`"),
            InPlace::NotPossible(why) => format!("not in place: {why}"),
            InPlace::AfterFirst { first, command } => format!("first {first}; then `{command}`"),
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            check.name, in_place, fix.cloudformation, fix.terraform
        ));
    }
    table.push_str(&format!(
        "\nThe mTLS-only command (`<arn>`, `<version>` and `<ca-arn>` as above):\n\n```sh aws-cli\n{MTLS_ONLY}\n```\n"
    ));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One number per kind of finding: the match is exhaustive, so a new kind must be listed here,
    /// and the test below then asks for its row.
    fn kind(finding: &Finding) -> usize {
        match finding {
            Finding::UnauthenticatedAccess(_) => 0,
            Finding::TlsClientAuthenticationDisabled => 1,
            Finding::NoCertificateAuthority => 2,
            Finding::PlaintextListener { .. } => 3,
            Finding::SaslNotAllowed(..) => 4,
            Finding::MultiVpcSaslNotAllowed(..) => 5,
            Finding::CertificateAuthorityNotAllowed(_) => 6,
            Finding::CertificateAuthorityNotActive { .. } => 7,
            Finding::CertificateAuthorityExpiring { .. } => 8,
            Finding::CertificateAuthorityExpiryUnknown(_) => 9,
            Finding::CertificateAuthorityNotFound(_) => 10,
            Finding::CertificateAuthorityUnreadable { .. } => 11,
            Finding::MissingTag(_) => 12,
            Finding::ServerlessCannotEnforceMtls => 13,
            Finding::BrokerTrafficPlaintext => 14,
            Finding::PublicAccess(_) => 15,
            Finding::AuthorizationOpenByDefault(_) => 16,
            Finding::ZooKeeperReachable(_) => 17,
            Finding::CertificateAuthorityNotSubordinate { .. } => 18,
            Finding::CertificateAuthorityIssuersOutside { .. } => 19,
            Finding::CertificateAuthorityPolicyUnreadable { .. } => 20,
            Finding::CertificateAuthorityNotDedicated { .. } => 21,
            Finding::CertificateAuthorityDedicationUnknown { .. } => 22,
            Finding::CertificateAuthorityNotShortLived { .. } => 23,
            Finding::NoBrokerLogs { .. } => 24,
        }
    }
    const KINDS: usize = 25;

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

    /// `MSK_MTLS_RULE_WRITE_DOCS=1 cargo test --lib docs` writes the rendered tables into the
    /// README and docs/fixes.md instead of failing.
    #[test]
    fn the_docs_tables_are_the_check_table() {
        crate::docs::keep_block(
            "README.md",
            "<!-- checks:begin (rendered from src/rule/checks.rs) -->\n",
            "<!-- checks:end -->",
            &markdown_table(),
        );
        crate::docs::keep_block(
            "docs/fixes.md",
            "<!-- fixes:begin (rendered from src/rule/checks.rs) -->\n",
            "<!-- fixes:end -->",
            &remediation_table(),
        );
    }

    /// The boundary day: a CA whose certificate expires in exactly `certificateAuthorityExpiryDays`
    /// days is still fine, one day less is a finding; day 0 "expires in 0 days", day -1 "has expired".
    #[test]
    fn the_ca_expiry_threshold_and_the_expired_wording_hold_at_their_boundary_day() {
        let now = Timestamp::from_secs(0);
        let in_days = |days: i64| CaHealth::Active {
            not_after: Some(Timestamp::from_secs(days * 86_400)),
        };
        assert_eq!(ca_finding(EXAMPLE_CA, Some(&in_days(30)), 30, now), None);
        assert_eq!(
            ca_finding(EXAMPLE_CA, Some(&in_days(29)), 30, now),
            Some(Finding::CertificateAuthorityExpiring {
                arn: EXAMPLE_CA.into(),
                days_left: 29
            })
        );
        assert_eq!(ca_finding(EXAMPLE_CA, Some(&in_days(0)), 0, now), None);
        let expiring = |days_left| Finding::CertificateAuthorityExpiring {
            arn: EXAMPLE_CA.into(),
            days_left,
        };
        assert_eq!(
            expiring(0).to_string(),
            "CA <id> certificate expires in 0 days"
        );
        assert_eq!(expiring(-1).to_string(), "CA <id> certificate has expired");
    }

    #[test]
    fn a_fix_and_a_check_print_as_what_they_are() {
        assert_eq!(InPlace::Command("aws kafka x").to_string(), "aws kafka x");
        assert_eq!(
            InPlace::NotPossible("serverless").to_string(),
            "not in place: serverless"
        );
        assert_eq!(
            format!("{:?}", CHECKS[0]),
            "Check(\"unauthenticated access\")"
        );
    }

    #[test]
    fn every_example_finding_names_the_check_it_is_an_example_of() {
        for check in CHECKS {
            for finding in (check.examples)() {
                assert_eq!(finding.check(), check, "{finding}");
                let covering: Vec<&str> = CHECKS
                    .iter()
                    .filter(|other| (other.covers)(&finding))
                    .map(|other| other.name)
                    .collect();
                assert_eq!(covering, [check.name], "{finding} is one check's");
            }
        }
    }

    /// The CLI JSON of every fix is JSON a shell passes as written: one quoted argument each.
    #[test]
    fn every_in_place_command_carries_valid_json() {
        for check in CHECKS {
            let command = match check.remediation.in_place {
                InPlace::Command(command) | InPlace::AfterFirst { command, .. } => command,
                InPlace::NotPossible(_) => continue,
            };
            assert!(command.starts_with("aws "), "{command}");
            for (index, part) in command.split('\'').enumerate() {
                if index % 2 == 1 {
                    serde_json::from_str::<serde_json::Value>(part)
                        .unwrap_or_else(|e| panic!("{}: {part}: {e}", check.name));
                }
            }
        }
    }
}
