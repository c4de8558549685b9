//! What the rule knows about a cluster, whatever it was read from: a Config item or the Kafka API.
//! Every source fills one `RecordedAccess`, and `resolve` applies MSK's defaults once, so a setting
//! means the same wherever it was read.

use std::collections::BTreeSet;
use std::fmt;

use crate::rule::params::SaslMechanism;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cluster {
    Provisioned(ClusterFacts),
    /// MSK Serverless supports only SASL/IAM: mTLS cannot be enforced on it.
    Serverless,
}

/// `EncryptionInTransit.ClientBroker`: anything but `Tls` opens a plaintext listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientBroker {
    Tls,
    TlsPlaintext,
    Plaintext,
}

impl ClientBroker {
    pub const ALL: [ClientBroker; 3] = [
        ClientBroker::Tls,
        ClientBroker::TlsPlaintext,
        ClientBroker::Plaintext,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        ClientBroker::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientBroker::Tls => "TLS",
            ClientBroker::TlsPlaintext => "TLS_PLAINTEXT",
            ClientBroker::Plaintext => "PLAINTEXT",
        }
    }
}

impl fmt::Display for ClientBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The access settings of a provisioned cluster, already resolved against MSK's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterFacts {
    pub unauthenticated_access: bool,
    pub tls_client_authentication: bool,
    pub certificate_authority_arns: Vec<String>,
    /// As recorded; `None` when not recorded (sources disagree on MSK's default: see the verdict).
    pub client_broker: Option<ClientBroker>,
    pub sasl_mechanisms: BTreeSet<SaslMechanism>,
    /// Client authentications open through multi-VPC private connectivity.
    pub multi_vpc: MultiVpcAccess,
    pub tag_keys: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiVpcAccess {
    pub tls: bool,
    pub sasl_mechanisms: BTreeSet<SaslMechanism>,
}

/// A toggle block as recorded: `None` when the block is absent, `Some(None)` when it is present
/// without its `Enabled` flag.
pub type Toggle = Option<Option<bool>>;

/// What a recording says about access, before MSK's defaults are applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedAccess {
    pub unauthenticated: Toggle,
    pub tls: Option<RecordedTls>,
    pub sasl_iam: Toggle,
    pub sasl_scram: Toggle,
    pub client_broker: Option<ClientBroker>,
    pub multi_vpc_tls: Toggle,
    pub multi_vpc_sasl_iam: Toggle,
    pub multi_vpc_sasl_scram: Toggle,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordedTls {
    pub enabled: Option<bool>,
    pub certificate_authority_arns: Vec<String>,
}

/// A way in that is recorded without its flag counts as open: the rule never guesses "off".
fn door_open(toggle: Toggle) -> bool {
    toggle.is_some_and(|flag| flag.unwrap_or(true))
}

fn mechanisms(iam: Toggle, scram: Toggle) -> BTreeSet<SaslMechanism> {
    [(SaslMechanism::Iam, iam), (SaslMechanism::Scram, scram)]
        .into_iter()
        .filter(|(_, toggle)| door_open(*toggle))
        .map(|(mechanism, _)| mechanism)
        .collect()
}

impl RecordedAccess {
    /// Applies MSK's defaults, each read the unsafe way where a source leaves it open.
    pub fn resolve(self, tag_keys: BTreeSet<String>) -> ClusterFacts {
        let sasl_mechanisms = mechanisms(self.sasl_iam, self.sasl_scram);
        let tls_enabled = self.tls.as_ref().and_then(|tls| tls.enabled);
        let mut certificate_authority_arns: Vec<String> = Vec::new();
        for arn in self
            .tls
            .map(|tls| tls.certificate_authority_arns)
            .unwrap_or_default()
        {
            if !arn.trim().is_empty() && !certificate_authority_arns.contains(&arn) {
                certificate_authority_arns.push(arn);
            }
        }
        // AWS's own procedure for an mTLS cluster (MSK developer guide, "Create a cluster that
        // supports client authentication", step 1) passes `{"Tls": {"CertificateAuthorityArnList":
        // [ca]}}` with no `Enabled`, and that cluster enforces mTLS; neither the CloudFormation schema
        // nor the Kafka API gives `Enabled` a default. So a CA list with no flag is on, `false` is
        // off whatever the list, and a block with neither says nothing is on.
        let tls_client_authentication = match tls_enabled {
            Some(flag) => flag,
            None => !certificate_authority_arns.is_empty(),
        };
        // MSK leaves unauthenticated access on only when asked, or when no other way in is
        // configured at all.
        let unauthenticated_access = match self.unauthenticated {
            Some(flag) => flag.unwrap_or(true),
            None => !tls_client_authentication && sasl_mechanisms.is_empty(),
        };
        ClusterFacts {
            unauthenticated_access,
            tls_client_authentication,
            certificate_authority_arns,
            client_broker: self.client_broker,
            sasl_mechanisms,
            multi_vpc: MultiVpcAccess {
                tls: door_open(self.multi_vpc_tls),
                sasl_mechanisms: mechanisms(self.multi_vpc_sasl_iam, self.multi_vpc_sasl_scram),
            },
            tag_keys,
        }
    }
}
