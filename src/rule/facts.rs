//! What the rule knows about a cluster, whatever it was read from: a Config item or the Kafka API.
//! Every source fills one `RecordedAccess`, and `resolve` applies MSK's defaults once, so a setting
//! means the same wherever it was read.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{json, Value};

use crate::rule::authorization::BrokerConfiguration;
use crate::rule::params::SaslMechanism;
use crate::rule::zookeeper::Metadata;

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

/// `ConnectivityInfo.PublicAccess.Type`: whether the brokers have addresses on the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublicAccess {
    /// MSK's default: "you can't turn on public access while creating an MSK cluster" (the
    /// Terraform provider's `aws_msk_cluster` docs, citing the MSK developer guide's "Public
    /// access"), and the Kafka API's model calls `DISABLED` "turned off"; so an absent value
    /// reads as this one.
    #[default]
    Disabled,
    ServiceProvidedEips,
}

impl PublicAccess {
    pub const ALL: [PublicAccess; 2] = [PublicAccess::Disabled, PublicAccess::ServiceProvidedEips];

    pub fn parse(text: &str) -> Option<Self> {
        PublicAccess::ALL
            .into_iter()
            .find(|access| access.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PublicAccess::Disabled => "DISABLED",
            PublicAccess::ServiceProvidedEips => "SERVICE_PROVIDED_EIPS",
        }
    }
}

impl fmt::Display for PublicAccess {
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
    pub public_access: PublicAccess,
    /// `EncryptionInTransit.InCluster` false: brokers replicate to each other in plaintext.
    pub broker_traffic_plaintext: bool,
    /// The configuration the brokers run, for the ACL default.
    pub configuration: BrokerConfiguration,
    /// Whether the cluster has a ZooKeeper that clients can reach.
    pub metadata: Metadata,
    /// Where the brokers' logs go, as recorded (no block: nowhere, MSK's default).
    pub broker_logs: BrokerLogs,
    pub tag_keys: BTreeSet<String>,
}

/// `LoggingInfo.BrokerLogs`: the destinations MSK delivers the brokers' INFO logs to. A destination
/// counts only when its `Enabled` is `true`; this project reads the CloudWatch Logs one (refused
/// clients counted from it), and only names the other two.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerLogs {
    /// The CloudWatch Logs group the brokers write to; a group not known before deploy is
    /// `Some` of an empty name.
    pub cloudwatch_log_group: Option<String>,
    pub s3: bool,
    pub firehose: bool,
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
    pub public_access: Option<PublicAccess>,
    pub in_cluster: Option<bool>,
    pub configuration: BrokerConfiguration,
    /// `KafkaVersion` (`3.7.x.kraft`): the metadata mode.
    pub kafka_version: Option<String>,
    /// `BrokerNodeGroupInfo.InstanceType`: Express brokers have no ZooKeeper door.
    pub instance_type: Option<String>,
    pub broker_logs: BrokerLogs,
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

/// A CA given by an intrinsic function or a plan's unknown: some CA is set, but which one is not
/// known; looked up, it is unreadable, so an allow-list and the CA check fail it.
pub const UNKNOWN_CA: &str =
    "arn:aws:acm-pca:unknown:000000000000:certificate-authority/not-known-before-deploy";

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
            public_access: self.public_access.unwrap_or_default(),
            // The MSK API reference: "InCluster ... The default value is true", and so do the
            // Terraform provider's docs; AWS's own mTLS procedure sets it.
            broker_traffic_plaintext: self.in_cluster == Some(false),
            configuration: self.configuration,
            // A version not recorded reads as ZooKeeper mode, the one with the door.
            metadata: Metadata::of(self.kafka_version.as_deref(), self.instance_type.as_deref()),
            broker_logs: self.broker_logs,
            tag_keys,
        }
    }

    /// What a recorded setting reads as when its value is not known before deploy (a template's
    /// intrinsic function, a plan's unknown), at `path` in CloudFormation's property shape: the
    /// way that opens a door or fails a check, never the safe one. `None` reads it as absent,
    /// which `resolve` already reads the unsafe way. Every field has its reading (tested below).
    pub fn unknown_reading(path: &str) -> Option<Value> {
        let open_sasl = json!({"Iam": {"Enabled": true}, "Scram": {"Enabled": true}});
        let segments: Vec<&str> = path.split('.').collect();
        let last = segments.last().copied().unwrap_or_default();
        let parent = segments.iter().rev().nth(1).copied().unwrap_or_default();
        let in_vpc = path.contains("VpcConnectivity");
        if last.starts_with("CertificateAuthorityArnList[") {
            return Some(json!(UNKNOWN_CA));
        }
        match (last, parent) {
            ("Enabled", "Tls" | "CloudWatchLogs" | "S3" | "Firehose") => Some(json!(false)),
            ("Enabled", _) => Some(json!(true)),
            ("Unauthenticated" | "Iam" | "Scram", _) => Some(json!({"Enabled": true})),
            ("Tls", _) => Some(json!({"Enabled": false})),
            ("InCluster", _) => Some(json!(false)),
            ("EncryptionInTransit", _) => Some(json!({"InCluster": false})),
            ("EncryptionInfo", _) => Some(json!({"EncryptionInTransit": {"InCluster": false}})),
            ("Type", "PublicAccess") => Some(json!("SERVICE_PROVIDED_EIPS")),
            ("PublicAccess", _) => Some(json!({"Type": "SERVICE_PROVIDED_EIPS"})),
            ("Sasl", _) => Some(open_sasl),
            ("CertificateAuthorityArnList", _) => Some(json!([UNKNOWN_CA])),
            ("ClientAuthentication", _) if in_vpc => Some(json!({"Sasl": open_sasl})),
            ("VpcConnectivity", _) => Some(json!({"ClientAuthentication": {"Sasl": open_sasl}})),
            ("ConnectivityInfo", _) => Some(json!({
                "PublicAccess": {"Type": "SERVICE_PROVIDED_EIPS"},
                "VpcConnectivity": {"ClientAuthentication": {"Sasl": open_sasl}},
            })),
            ("BrokerNodeGroupInfo", _) => Some(json!({"ConnectivityInfo": {
                "PublicAccess": {"Type": "SERVICE_PROVIDED_EIPS"},
                "VpcConnectivity": {"ClientAuthentication": {"Sasl": open_sasl}},
            }})),
            // ClientAuthentication absent: no authentication configured, MSK admits anyone;
            // ClientBroker absent: the unsafe default listener; anything else: as if absent.
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::configuration::read_facts_from_value;
    use crate::rule::authorization::ConfigurationReport;
    use crate::rule::ca::{CaHealth, CaHealthReport};
    use crate::rule::checks::Inputs;
    use crate::rule::params::RuleParams;
    use crate::rule::time::Timestamp;
    use crate::rule::verdict::findings_by_check;

    const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/a";

    /// A cluster that enforces mTLS, in CloudFormation's property shape, every recorded field set.
    fn mtls() -> Value {
        json!({
            "ClientAuthentication": {
                "Tls": {"Enabled": true, "CertificateAuthorityArnList": [CA]},
                "Unauthenticated": {"Enabled": false},
                "Sasl": {"Iam": {"Enabled": false}, "Scram": {"Enabled": false}},
            },
            "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": true}},
            "KafkaVersion": "3.7.x.kraft",
            "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ConnectivityInfo": {
                "PublicAccess": {"Type": "DISABLED"},
                "VpcConnectivity": {"ClientAuthentication": {
                "Tls": {"Enabled": true},
                "Sasl": {"Iam": {"Enabled": false}, "Scram": {"Enabled": false}},
            }}}},
            "LoggingInfo": {"BrokerLogs": {"CloudWatchLogs": {"Enabled": true, "LogGroup": "/msk/brokers"}}},
        })
    }

    /// The findings of `properties` with the rule's defaults (broker logs required) and a healthy CA.
    fn findings(properties: Value) -> Vec<String> {
        let facts = read_facts_from_value(properties, std::iter::empty()).unwrap();
        let cluster = Cluster::Provisioned(facts);
        let now = Timestamp::from_secs(1_700_000_000);
        let cas = CaHealthReport::from([(
            CA.to_owned(),
            CaHealth::Active {
                not_after: Some(Timestamp::from_secs(1_900_000_000)),
            },
        )]);
        let params = RuleParams {
            require_broker_logs: true,
            ..RuleParams::default()
        };
        let inputs = Inputs {
            cluster: &cluster,
            params: &params,
            cas: &cas,
            resource_id: "",
            trust: &crate::rule::ca::unremarkable(&cas),
            configurations: &ConfigurationReport::new(),
            zookeeper: None,
            used_by: &Default::default(),
            now,
        };
        findings_by_check(&inputs)
            .into_iter()
            .filter(|(_, finding)| finding.fails(&params))
            .map(|(_, finding)| finding.to_string())
            .collect()
    }

    /// Every recorded field (the destructuring stops compiling when one is added) has a property
    /// path whose unknown value reads the unsafe way: the finding it must give, or none where no
    /// check reads the field.
    #[test]
    fn every_recorded_field_unknown_before_deploy_reads_the_unsafe_way() {
        let RecordedAccess {
            unauthenticated: _,
            tls: _,
            sasl_iam: _,
            sasl_scram: _,
            client_broker: _,
            multi_vpc_tls: _,
            multi_vpc_sasl_iam: _,
            multi_vpc_sasl_scram: _,
            public_access: _,
            in_cluster: _,
            // Resolved apart from the properties by `check` (check/configuration.rs, tested there):
            // a configuration it cannot resolve before deploy reads open.
            configuration: _,
            kafka_version: _,
            instance_type: _,
            broker_logs: _,
        } = RecordedAccess::default();
        let vpc = "/BrokerNodeGroupInfo/ConnectivityInfo/VpcConnectivity/ClientAuthentication";
        let cases = [
            (
                "/ClientAuthentication/Unauthenticated".to_owned(),
                Some("unauthenticated access is enabled"),
            ),
            (
                "/ClientAuthentication/Tls".to_owned(),
                Some("TLS client authentication is disabled"),
            ),
            (
                "/ClientAuthentication/Tls/Enabled".to_owned(),
                Some("TLS client authentication is disabled"),
            ),
            (
                "/ClientAuthentication/Tls/CertificateAuthorityArnList".to_owned(),
                Some("could not be checked"),
            ),
            (
                "/ClientAuthentication/Tls/CertificateAuthorityArnList/0".to_owned(),
                Some("could not be checked"),
            ),
            (
                "/ClientAuthentication/Sasl/Iam".to_owned(),
                Some("SASL/IAM is enabled"),
            ),
            (
                "/ClientAuthentication/Sasl/Scram".to_owned(),
                Some("SASL/SCRAM is enabled"),
            ),
            (
                "/EncryptionInfo/EncryptionInTransit/ClientBroker".to_owned(),
                Some("client-broker encryption is not recorded"),
            ),
            (
                format!("{vpc}/Sasl/Iam"),
                Some("multi-VPC connectivity allows SASL/IAM"),
            ),
            (
                format!("{vpc}/Sasl/Scram"),
                Some("multi-VPC connectivity allows SASL/SCRAM"),
            ),
            (
                "/EncryptionInfo/EncryptionInTransit/InCluster".to_owned(),
                Some("brokers replicate to each other in plaintext"),
            ),
            (
                "/EncryptionInfo/EncryptionInTransit".to_owned(),
                Some("brokers replicate to each other in plaintext"),
            ),
            (
                "/BrokerNodeGroupInfo/ConnectivityInfo/PublicAccess/Type".to_owned(),
                Some("brokers are reachable from the internet"),
            ),
            (
                "/BrokerNodeGroupInfo/ConnectivityInfo/PublicAccess".to_owned(),
                Some("brokers are reachable from the internet"),
            ),
            (
                "/BrokerNodeGroupInfo/ConnectivityInfo".to_owned(),
                Some("brokers are reachable from the internet"),
            ),
            // No check reads multi-VPC TLS on its own: a new one must say here what unknown means.
            (format!("{vpc}/Tls"), None),
            // Not known: ZooKeeper mode and Standard brokers, the door (not read here: never off).
            (
                "/KafkaVersion".to_owned(),
                Some("ZooKeeper is reachable directly"),
            ),
            // Not known: Standard brokers; the KRaft version alone closes the door here.
            ("/BrokerNodeGroupInfo/InstanceType".to_owned(), None),
            (
                "/LoggingInfo/BrokerLogs/CloudWatchLogs/Enabled".to_owned(),
                Some("brokers log to no CloudWatch Logs group"),
            ),
            (
                "/LoggingInfo/BrokerLogs/CloudWatchLogs".to_owned(),
                Some("brokers log to no CloudWatch Logs group"),
            ),
            (
                "/LoggingInfo".to_owned(),
                Some("brokers log to no CloudWatch Logs group"),
            ),
            // A group not known before deploy is a group: the brokers log somewhere it is read.
            (
                "/LoggingInfo/BrokerLogs/CloudWatchLogs/LogGroup".to_owned(),
                None,
            ),
        ];
        assert!(findings(mtls()).is_empty(), "{:?}", findings(mtls()));
        for (pointer, finding) in cases {
            let path = pointer.trim_start_matches('/').replace('/', ".");
            let path = path.replace(".0", "[0]");
            let mut properties = mtls();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let holder = properties.pointer_mut(parent).unwrap();
            match (RecordedAccess::unknown_reading(&path), holder) {
                (Some(reading), Value::Array(items)) => items[0] = reading,
                (Some(reading), Value::Object(map)) => {
                    map.insert(key.to_owned(), reading);
                }
                (None, Value::Object(map)) => {
                    map.remove(key);
                }
                (reading, holder) => panic!("{path}: {reading:?} in {holder}"),
            }
            let found = findings(properties);
            match finding {
                Some(finding) => assert!(
                    found.iter().any(|f| f.contains(finding)),
                    "{path} unknown: {found:?}"
                ),
                None => assert!(found.is_empty(), "{path} unknown: {found:?}"),
            }
        }
    }
}
