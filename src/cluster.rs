//! What the rule knows about a cluster, whatever it was read from: a Config item (CloudFormation
//! PascalCase) or the Kafka API (camelCase). Both spellings are accepted for every property the
//! verdict reads; an item that carries both spellings of one property is refused rather than read
//! half one way, half the other.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;

use crate::error::RuleError;
use crate::event::from_value;
use crate::params::SaslMechanism;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cluster {
    Provisioned(ClusterFacts),
    /// MSK Serverless supports only SASL/IAM: mTLS cannot be enforced on it.
    Serverless,
}

/// The access settings of a provisioned cluster, already resolved against MSK's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterFacts {
    pub unauthenticated_access: bool,
    pub tls_client_authentication: bool,
    pub certificate_authority_arns: Vec<String>,
    /// As recorded; `None` when not recorded, which MSK treats as `TLS_PLAINTEXT`.
    pub client_broker: Option<String>,
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

impl ClusterFacts {
    /// Reads a recorded configuration. `extra_tag_keys` are the item's own tags, which Config keeps
    /// outside `configuration`.
    pub fn from_configuration(
        configuration: Value,
        extra_tag_keys: impl IntoIterator<Item = String>,
    ) -> Result<Self, RuleError> {
        let config: Configuration = from_value("configuration", configuration)?;
        let config = match config.provisioned {
            // The Kafka API's v2 shape nests the provisioned settings one level down.
            Some(provisioned) => *provisioned,
            None => config,
        };
        let auth = config.client_authentication.unwrap_or_default();
        let sasl = auth.sasl.unwrap_or_default();
        let sasl_mechanisms = sasl.enabled_mechanisms();
        let tls = auth.tls;
        let mut certificate_authority_arns: Vec<String> = Vec::new();
        for arn in tls
            .as_ref()
            .and_then(|tls| tls.certificate_authority_arn_list.clone())
            .unwrap_or_default()
        {
            if !arn.trim().is_empty() && !certificate_authority_arns.contains(&arn) {
                certificate_authority_arns.push(arn);
            }
        }
        let tls_client_authentication = tls.as_ref().is_some_and(Tls::is_enabled);

        // MSK leaves unauthenticated access on only when asked, or when no other way in is
        // configured at all; a block without its flag is read the unsafe way.
        let unauthenticated_access = match auth.unauthenticated {
            Some(toggle) => toggle.is_enabled(),
            None => !tls_client_authentication && sasl_mechanisms.is_empty(),
        };

        let multi_vpc = config
            .broker_node_group_info
            .and_then(|info| info.connectivity_info)
            .and_then(|connectivity| connectivity.vpc_connectivity)
            .and_then(|vpc| vpc.client_authentication)
            .map(|vpc_auth| MultiVpcAccess {
                tls: vpc_auth.tls.as_ref().is_some_and(Tls::is_enabled),
                sasl_mechanisms: vpc_auth.sasl.unwrap_or_default().enabled_mechanisms(),
            })
            .unwrap_or_default();

        let client_broker = config
            .encryption_info
            .and_then(|info| info.encryption_in_transit)
            .and_then(|in_transit| in_transit.client_broker);

        let mut tag_keys: BTreeSet<String> = extra_tag_keys.into_iter().collect();
        tag_keys.extend(config.tags.map(Tags::into_keys).unwrap_or_default());

        Ok(ClusterFacts {
            unauthenticated_access,
            tls_client_authentication,
            certificate_authority_arns,
            client_broker,
            sasl_mechanisms,
            multi_vpc,
            tag_keys,
        })
    }
}

/// Declares a serde struct whose fields are read in PascalCase (Config, CloudFormation) or
/// camelCase (Kafka API); unknown fields are ignored and `null` reads as absent.
macro_rules! either_case {
    ($name:ident { $($field:ident : $ty:ty = $pascal:literal / $camel:literal,)* }) => {
        #[derive(Debug, Default, Deserialize)]
        struct $name {
            $(
                #[serde(default, rename = $pascal, alias = $camel)]
                $field: Option<$ty>,
            )*
        }
    };
}

either_case!(Configuration {
    provisioned: Box<Configuration> = "Provisioned" / "provisioned",
    client_authentication: ClientAuthentication = "ClientAuthentication" / "clientAuthentication",
    encryption_info: EncryptionInfo = "EncryptionInfo" / "encryptionInfo",
    broker_node_group_info: BrokerNodeGroupInfo = "BrokerNodeGroupInfo" / "brokerNodeGroupInfo",
    tags: Tags = "Tags" / "tags",
});

either_case!(ClientAuthentication {
    sasl: Sasl = "Sasl" / "sasl",
    tls: Tls = "Tls" / "tls",
    unauthenticated: Toggle = "Unauthenticated" / "unauthenticated",
});

either_case!(Sasl {
    iam: Toggle = "Iam" / "iam",
    scram: Toggle = "Scram" / "scram",
});

either_case!(Tls {
    certificate_authority_arn_list: Vec<String> = "CertificateAuthorityArnList" / "certificateAuthorityArnList",
    enabled: bool = "Enabled" / "enabled",
});

either_case!(Toggle {
    enabled: bool = "Enabled" / "enabled",
});

either_case!(EncryptionInfo {
    encryption_in_transit: EncryptionInTransit = "EncryptionInTransit" / "encryptionInTransit",
});

either_case!(EncryptionInTransit {
    client_broker: String = "ClientBroker" / "clientBroker",
});

either_case!(BrokerNodeGroupInfo {
    connectivity_info: ConnectivityInfo = "ConnectivityInfo" / "connectivityInfo",
});

either_case!(ConnectivityInfo {
    vpc_connectivity: VpcConnectivity = "VpcConnectivity" / "vpcConnectivity",
});

either_case!(VpcConnectivity {
    client_authentication: ClientAuthentication = "ClientAuthentication" / "clientAuthentication",
});

impl Toggle {
    /// A block that is present without its flag counts as on: the rule never guesses "off".
    fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
}

impl Tls {
    fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(true)
    }
}

impl Sasl {
    fn enabled_mechanisms(&self) -> BTreeSet<SaslMechanism> {
        let mut mechanisms = BTreeSet::new();
        if self.iam.as_ref().is_some_and(Toggle::is_enabled) {
            mechanisms.insert(SaslMechanism::Iam);
        }
        if self.scram.as_ref().is_some_and(Toggle::is_enabled) {
            mechanisms.insert(SaslMechanism::Scram);
        }
        mechanisms
    }
}

/// CloudFormation records tags as a map; some shapes use a list of `{Key, Value}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Tags {
    Map(std::collections::BTreeMap<String, Option<String>>),
    List(Vec<TagPair>),
}

either_case!(TagPair {
    key: String = "Key" / "key",
});

impl Tags {
    fn into_keys(self) -> Vec<String> {
        match self {
            Tags::Map(map) => map.into_keys().collect(),
            Tags::List(list) => list.into_iter().filter_map(|pair| pair.key).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";

    fn facts(configuration: Value) -> ClusterFacts {
        ClusterFacts::from_configuration(configuration, []).unwrap()
    }

    fn pascal() -> Value {
        json!({
            "ClientAuthentication": {
                "Sasl": {"Iam": {"Enabled": false}, "Scram": {"Enabled": false}},
                "Tls": {"CertificateAuthorityArnList": [CA], "Enabled": true},
                "Unauthenticated": {"Enabled": false}
            },
            "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": true}},
            "BrokerNodeGroupInfo": {"ConnectivityInfo": {"PublicAccess": {"Type": "DISABLED"}}},
            "Tags": {"owner": "team"}
        })
    }

    fn mtls_only() -> ClusterFacts {
        ClusterFacts {
            tls_client_authentication: true,
            certificate_authority_arns: vec![CA.to_owned()],
            client_broker: Some("TLS".to_owned()),
            tag_keys: BTreeSet::from(["owner".to_owned()]),
            ..ClusterFacts::default()
        }
    }

    #[test]
    fn pascal_case_config_item() {
        assert_eq!(facts(pascal()), mtls_only());
    }

    #[test]
    fn camel_case_kafka_api_reads_the_same() {
        let camel = json!({
            "clientAuthentication": {
                "sasl": {"iam": {"enabled": false}, "scram": {"enabled": false}},
                "tls": {"certificateAuthorityArnList": [CA], "enabled": true},
                "unauthenticated": {"enabled": false}
            },
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}},
            "tags": {"owner": "team"}
        });
        assert_eq!(facts(camel.clone()), mtls_only());
        assert_eq!(facts(json!({"provisioned": camel})), mtls_only());
    }

    #[test]
    fn both_spellings_of_one_property_are_refused() {
        let mut both = pascal();
        both["clientAuthentication"] = json!({"unauthenticated": {"enabled": true}});
        let error = ClusterFacts::from_configuration(both, [])
            .unwrap_err()
            .to_string();
        assert!(error.contains("duplicate field"), "{error}");
    }

    #[test]
    fn wrong_types_are_refused_with_the_path() {
        let mut bad = pascal();
        bad["ClientAuthentication"]["Unauthenticated"]["Enabled"] = json!("false");
        let error = ClusterFacts::from_configuration(bad, [])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("ClientAuthentication.Unauthenticated.Enabled"),
            "{error}"
        );
    }

    #[test]
    fn nulls_read_as_absent() {
        let config =
            json!({"ClientAuthentication": null, "EncryptionInfo": {"EncryptionInTransit": null}});
        let facts = facts(config);
        assert!(facts.unauthenticated_access);
        assert_eq!(facts.client_broker, None);
    }

    #[test]
    fn no_client_authentication_at_all_means_unauthenticated_access() {
        assert!(facts(json!({})).unauthenticated_access);
        let tls_only =
            json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": [CA]}}});
        let facts = facts(tls_only);
        assert!(!facts.unauthenticated_access);
        assert!(
            facts.tls_client_authentication,
            "legacy Tls block without Enabled"
        );
    }

    #[test]
    fn a_block_without_its_flag_counts_as_on() {
        let config = json!({"ClientAuthentication": {
            "Sasl": {"Iam": {}}, "Tls": {"Enabled": true, "CertificateAuthorityArnList": [CA]},
            "Unauthenticated": {}
        }});
        let facts = facts(config);
        assert!(facts.unauthenticated_access);
        assert_eq!(facts.sasl_mechanisms, BTreeSet::from([SaslMechanism::Iam]));
    }

    #[test]
    fn multi_vpc_connectivity_authentication() {
        let mut config = pascal();
        config["BrokerNodeGroupInfo"]["ConnectivityInfo"]["VpcConnectivity"] = json!({"ClientAuthentication": {
            "Sasl": {"Iam": {"Enabled": false}, "Scram": {"Enabled": true}}, "Tls": {"Enabled": true}
        }});
        let facts = facts(config);
        assert!(facts.multi_vpc.tls);
        assert_eq!(
            facts.multi_vpc.sasl_mechanisms,
            BTreeSet::from([SaslMechanism::Scram])
        );
    }

    #[test]
    fn certificate_authorities_are_deduplicated_and_blanks_dropped() {
        let config = json!({"ClientAuthentication": {"Tls": {"Enabled": true, "CertificateAuthorityArnList": [CA, "", CA]}}});
        assert_eq!(
            facts(config).certificate_authority_arns,
            vec![CA.to_owned()]
        );
    }

    #[test]
    fn tags_from_the_item_and_from_the_configuration_are_merged() {
        let config = json!({"Tags": [{"Key": "cost-center", "Value": "42"}]});
        let facts = ClusterFacts::from_configuration(config, ["owner".to_owned()]).unwrap();
        assert_eq!(
            facts.tag_keys,
            BTreeSet::from(["cost-center".to_owned(), "owner".to_owned()])
        );
    }
}
