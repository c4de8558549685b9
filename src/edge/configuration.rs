//! The one reader of a recorded configuration (a Config item's `configuration`, in CloudFormation's
//! PascalCase or the Kafka API's camelCase) into the rule's `RecordedAccess`.
//!
//! It fails closed on anything ambiguous along the path it reads: a key given twice (or in both
//! spellings), an unknown key inside a client-authentication block (a way in the rule does not
//! know), a key that differs from a known one only by case or by characters that are not ASCII
//! letters and digits (whitespace, invisible characters, homoglyphs), a value of the wrong type, and
//! an item that mixes the Kafka API's `Provisioned` shape with top-level settings.

use std::collections::BTreeSet;
use std::fmt;

use crate::edge::json::Json;
use crate::rule::authorization::{BrokerConfiguration, ConfigurationRevision};
use crate::rule::facts::{
    ClientBroker, ClusterFacts, PublicAccess, RecordedAccess, RecordedTls, Toggle,
};

/// Why a recorded configuration cannot be read; the message starts with the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a recorded configuration. `extra_tag_keys` are the item's own tags, which Config keeps
/// outside `configuration`.
pub fn read_facts(
    configuration: &Json,
    extra_tag_keys: impl IntoIterator<Item = String>,
) -> Result<ClusterFacts, ReadError> {
    let root = Block::read("configuration", configuration, ROOT, Keys::Open)?
        .ok_or_else(|| ReadError("configuration is null".into()))?;
    // The Kafka API's v2 shape nests the provisioned settings one level down; an item that also
    // has them at the top would be read half one way, half the other.
    let settings = match root.block(PROVISIONED, ROOT, Keys::Open)? {
        Some(provisioned) => {
            let mixed = [
                CLIENT_AUTHENTICATION,
                ENCRYPTION_INFO,
                BROKER_NODE_GROUP_INFO,
                CONFIGURATION_INFO,
                KAFKA_VERSION,
                CURRENT_BROKER_SOFTWARE_INFO,
                LOGGING_INFO,
            ]
            .into_iter()
            .find(|key| root.get(*key).is_some());
            if let Some(key) = mixed {
                return Err(ReadError(format!(
                    "configuration: both {} and a top-level {} are given: one item holds one shape",
                    root.key_path(PROVISIONED),
                    key.0
                )));
            }
            provisioned
        }
        None => root.clone(),
    };
    let access = read_access(&settings)?;
    let mut tag_keys: BTreeSet<String> = extra_tag_keys.into_iter().collect();
    if let Some(tags) = root.get(TAGS) {
        tag_keys.extend(tag_keys_of(&root.key_path(TAGS), tags)?);
    }
    Ok(access.resolve(tag_keys))
}

/// `read_facts` over a `serde_json::Value` (which cannot hold duplicate keys).
pub fn read_facts_from_value(
    configuration: serde_json::Value,
    extra_tag_keys: impl IntoIterator<Item = String>,
) -> Result<ClusterFacts, ReadError> {
    read_facts(&Json::from(configuration), extra_tag_keys)
}

/// Whether a property is a boolean the rule reads (`Enabled`, `InCluster`, either spelling):
/// CloudFormation may pass one as the string "true" or "false", and a template may write it so.
pub fn is_flag(name: &str) -> bool {
    [ENABLED, IN_CLUSTER]
        .iter()
        .any(|key| name == key.0 || name == key.1)
}

/// A property's two spellings: CloudFormation's PascalCase and the Kafka API's camelCase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key(&'static str, &'static str);

const PROVISIONED: Key = Key("Provisioned", "provisioned");
const CLIENT_AUTHENTICATION: Key = Key("ClientAuthentication", "clientAuthentication");
const ENCRYPTION_INFO: Key = Key("EncryptionInfo", "encryptionInfo");
const BROKER_NODE_GROUP_INFO: Key = Key("BrokerNodeGroupInfo", "brokerNodeGroupInfo");
const TAGS: Key = Key("Tags", "tags");
const SASL: Key = Key("Sasl", "sasl");
const TLS: Key = Key("Tls", "tls");
const UNAUTHENTICATED: Key = Key("Unauthenticated", "unauthenticated");
const IAM: Key = Key("Iam", "iam");
const SCRAM: Key = Key("Scram", "scram");
const ENABLED: Key = Key("Enabled", "enabled");
const CERTIFICATE_AUTHORITY_ARN_LIST: Key =
    Key("CertificateAuthorityArnList", "certificateAuthorityArnList");
const ENCRYPTION_IN_TRANSIT: Key = Key("EncryptionInTransit", "encryptionInTransit");
const CLIENT_BROKER: Key = Key("ClientBroker", "clientBroker");
const IN_CLUSTER: Key = Key("InCluster", "inCluster");
const ENCRYPTION_AT_REST: Key = Key("EncryptionAtRest", "encryptionAtRest");
const CONNECTIVITY_INFO: Key = Key("ConnectivityInfo", "connectivityInfo");
const PUBLIC_ACCESS: Key = Key("PublicAccess", "publicAccess");
const VPC_CONNECTIVITY: Key = Key("VpcConnectivity", "vpcConnectivity");
const TYPE: Key = Key("Type", "type");
const CONFIGURATION_INFO: Key = Key("ConfigurationInfo", "configurationInfo");
const ARN: Key = Key("Arn", "arn");
const REVISION: Key = Key("Revision", "revision");
const KAFKA_VERSION: Key = Key("KafkaVersion", "kafkaVersion");
const CURRENT_BROKER_SOFTWARE_INFO: Key =
    Key("CurrentBrokerSoftwareInfo", "currentBrokerSoftwareInfo");
const INSTANCE_TYPE: Key = Key("InstanceType", "instanceType");
const LOGGING_INFO: Key = Key("LoggingInfo", "loggingInfo");
const BROKER_LOGS: Key = Key("BrokerLogs", "brokerLogs");
const CLOUD_WATCH_LOGS: Key = Key("CloudWatchLogs", "cloudWatchLogs");
const LOG_GROUP: Key = Key("LogGroup", "logGroup");
const S3: Key = Key("S3", "s3");
const FIREHOSE: Key = Key("Firehose", "firehose");

const ROOT: &[Key] = &[
    PROVISIONED,
    CLIENT_AUTHENTICATION,
    ENCRYPTION_INFO,
    BROKER_NODE_GROUP_INFO,
    CONFIGURATION_INFO,
    KAFKA_VERSION,
    CURRENT_BROKER_SOFTWARE_INFO,
    LOGGING_INFO,
    TAGS,
];
const CLIENT_AUTHENTICATION_KEYS: &[Key] = &[SASL, TLS, UNAUTHENTICATED];
const MULTI_VPC_CLIENT_AUTHENTICATION_KEYS: &[Key] = &[SASL, TLS];
const SASL_KEYS: &[Key] = &[IAM, SCRAM];
const TLS_KEYS: &[Key] = &[CERTIFICATE_AUTHORITY_ARN_LIST, ENABLED];
const TOGGLE_KEYS: &[Key] = &[ENABLED];
const ENCRYPTION_INFO_KEYS: &[Key] = &[ENCRYPTION_IN_TRANSIT, ENCRYPTION_AT_REST];
const ENCRYPTION_IN_TRANSIT_KEYS: &[Key] = &[CLIENT_BROKER, IN_CLUSTER];
const BROKER_NODE_GROUP_INFO_KEYS: &[Key] = &[CONNECTIVITY_INFO, INSTANCE_TYPE];
const CURRENT_BROKER_SOFTWARE_INFO_KEYS: &[Key] = &[KAFKA_VERSION];
const CONNECTIVITY_INFO_KEYS: &[Key] = &[PUBLIC_ACCESS, VPC_CONNECTIVITY];
const VPC_CONNECTIVITY_KEYS: &[Key] = &[CLIENT_AUTHENTICATION];
const PUBLIC_ACCESS_KEYS: &[Key] = &[TYPE];
const CONFIGURATION_INFO_KEYS: &[Key] = &[ARN, REVISION];
const LOGGING_INFO_KEYS: &[Key] = &[BROKER_LOGS];
const BROKER_LOGS_KEYS: &[Key] = &[CLOUD_WATCH_LOGS, S3, FIREHOSE];
const CLOUD_WATCH_LOGS_KEYS: &[Key] = &[ENABLED, LOG_GROUP];

/// Whether an object may hold keys the rule does not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// A client-authentication block: an unknown key is a way in the rule does not know.
    KnownOnly,
    /// Other keys are fine, unless they look like a known one.
    Open,
}

/// An object on the path the rule reads, checked for ambiguity once, when it is opened.
#[derive(Debug, Clone)]
struct Block<'a> {
    path: String,
    entries: &'a [(String, Json)],
}

impl<'a> Block<'a> {
    /// `None` for `null` (read as absent); an error for anything but an object.
    fn read(
        path: &str,
        json: &'a Json,
        known: &[Key],
        keys: Keys,
    ) -> Result<Option<Block<'a>>, ReadError> {
        let entries = match json {
            Json::Null => return Ok(None),
            Json::Object(entries) => entries,
            other => {
                return Err(ReadError(format!(
                    "{path} must be an object, got {}",
                    other.kind()
                )))
            }
        };
        let mut seen: Vec<Key> = Vec::new();
        for (name, _) in entries {
            match known.iter().find(|key| name == key.0 || name == key.1) {
                Some(key) if seen.contains(key) => {
                    return Err(ReadError(format!(
                        "{path}: {name:?} is given twice (or in both spellings, {:?} and {:?}): \
                         an ambiguous item is refused",
                        key.0, key.1
                    )))
                }
                Some(key) => seen.push(*key),
                None if is_near_miss(name, known) => {
                    return Err(ReadError(format!(
                    "{path}: key {name:?} is a near miss of a key this rule reads (it differs by \
                         case, or holds characters other than ASCII letters and digits): refused"
                )))
                }
                None if keys == Keys::KnownOnly => {
                    return Err(ReadError(format!(
                    "{path}: unknown key {name:?} in a client-authentication block (known: {}): \
                         a way in this rule does not know is refused",
                    known.iter().map(|key| key.0).collect::<Vec<_>>().join(", ")
                )))
                }
                None => {}
            }
        }
        Ok(Some(Block {
            path: path.to_owned(),
            entries,
        }))
    }

    /// The value under either spelling; `null` reads as absent.
    fn get(&self, key: Key) -> Option<&'a Json> {
        self.entries
            .iter()
            .find(|(name, _)| name == key.0 || name == key.1)
            .map(|(_, value)| value)
            .filter(|value| **value != Json::Null)
    }

    fn key_path(&self, key: Key) -> String {
        let name = self
            .entries
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| *name == key.0 || *name == key.1)
            .unwrap_or(key.0);
        format!("{}.{name}", self.path)
    }

    fn block(&self, key: Key, known: &[Key], keys: Keys) -> Result<Option<Block<'a>>, ReadError> {
        match self.get(key) {
            None => Ok(None),
            Some(json) => Block::read(&self.key_path(key), json, known, keys),
        }
    }

    /// The block at the end of a path of blocks, each checked on the way; `None` if one is absent.
    fn descend(&self, path: &[(Key, &[Key], Keys)]) -> Result<Option<Block<'a>>, ReadError> {
        let mut current = self.clone();
        for (key, known, keys) in path {
            match current.block(*key, known, *keys)? {
                Some(next) => current = next,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// A toggle block (`{"Enabled": bool}`) under `key`.
    fn toggle(&self, key: Key) -> Result<Toggle, ReadError> {
        self.block(key, TOGGLE_KEYS, Keys::KnownOnly)?
            .map(|toggle| toggle.flag(ENABLED))
            .transpose()
    }

    fn flag(&self, key: Key) -> Result<Option<bool>, ReadError> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(ReadError(format!(
                "{} must be true or false, got {}",
                self.key_path(key),
                other.kind()
            ))),
        }
    }
}

/// Every property name the rule reads is ASCII letters and digits: anything else on the path, or a
/// known name in another case, is someone's attempt to hide a block or a typo to be fixed.
fn is_near_miss(name: &str, known: &[Key]) -> bool {
    !name.bytes().all(|b| b.is_ascii_alphanumeric())
        || known.iter().any(|key| name.eq_ignore_ascii_case(key.0))
}

fn read_access(settings: &Block) -> Result<RecordedAccess, ReadError> {
    let mut access = RecordedAccess::default();
    let client_authentication = (
        CLIENT_AUTHENTICATION,
        CLIENT_AUTHENTICATION_KEYS,
        Keys::KnownOnly,
    );
    if let Some(auth) = settings.descend(&[client_authentication])? {
        if let Some(sasl) = auth.block(SASL, SASL_KEYS, Keys::KnownOnly)? {
            access.sasl_iam = sasl.toggle(IAM)?;
            access.sasl_scram = sasl.toggle(SCRAM)?;
        }
        if let Some(tls) = auth.block(TLS, TLS_KEYS, Keys::KnownOnly)? {
            access.tls = Some(RecordedTls {
                enabled: tls.flag(ENABLED)?,
                certificate_authority_arns: strings(&tls, CERTIFICATE_AUTHORITY_ARN_LIST)?,
            });
        }
        access.unauthenticated = auth.toggle(UNAUTHENTICATED)?;
    }
    if let Some(in_transit) = settings.descend(&[
        (ENCRYPTION_INFO, ENCRYPTION_INFO_KEYS, Keys::Open),
        (
            ENCRYPTION_IN_TRANSIT,
            ENCRYPTION_IN_TRANSIT_KEYS,
            Keys::Open,
        ),
    ])? {
        access.client_broker = one_of(
            &in_transit,
            CLIENT_BROKER,
            ClientBroker::parse,
            "TLS, TLS_PLAINTEXT, PLAINTEXT",
        )?;
        access.in_cluster = in_transit.flag(IN_CLUSTER)?;
    }
    read_connectivity(settings, &mut access)?;
    read_metadata(settings, &mut access)?;
    read_broker_logs(settings, &mut access)?;
    if let Some(info) = settings.block(CONFIGURATION_INFO, CONFIGURATION_INFO_KEYS, Keys::Open)? {
        access.configuration = BrokerConfiguration::Revision(configuration_revision(&info)?);
    }
    Ok(access)
}

/// `ConfigurationInfo`: both its ARN and its revision, which CloudFormation requires (a hook
/// request may pass the revision as a string of digits, as it passes every scalar).
fn configuration_revision(info: &Block) -> Result<ConfigurationRevision, ReadError> {
    let missing = |key: Key| ReadError(format!("{} is missing", info.key_path(key)));
    let arn = match info.get(ARN) {
        Some(Json::String(arn)) if !arn.trim().is_empty() => arn.clone(),
        Some(other) => {
            return Err(ReadError(format!(
                "{} must be a configuration ARN, got {}",
                info.key_path(ARN),
                other.kind()
            )))
        }
        None => return Err(missing(ARN)),
    };
    let revision = match info.get(REVISION) {
        Some(Json::Number(number)) => number.as_i64(),
        Some(Json::String(text)) => text.parse().ok(),
        Some(_) => None,
        None => return Err(missing(REVISION)),
    };
    let revision = revision.filter(|revision| *revision >= 1).ok_or_else(|| {
        ReadError(format!(
            "{} must be a revision number (1 or more)",
            info.key_path(REVISION)
        ))
    })?;
    Ok(ConfigurationRevision { arn, revision })
}

/// The Kafka version (`KafkaVersion` in CloudFormation's shape, `currentBrokerSoftwareInfo`'s in
/// the Kafka API's; two that differ are refused) and the brokers' instance type: whether the
/// cluster has a ZooKeeper clients can reach.
fn read_metadata(settings: &Block, access: &mut RecordedAccess) -> Result<(), ReadError> {
    let direct = string(settings, KAFKA_VERSION)?;
    let software = match settings.block(
        CURRENT_BROKER_SOFTWARE_INFO,
        CURRENT_BROKER_SOFTWARE_INFO_KEYS,
        Keys::Open,
    )? {
        Some(software) => string(&software, KAFKA_VERSION)?,
        None => None,
    };
    access.kafka_version = match (direct, software) {
        (Some(direct), Some(software)) if direct != software => {
            return Err(ReadError(format!(
                "{}: {direct:?} and the current broker software's {software:?} differ: an \
                 ambiguous item is refused",
                settings.key_path(KAFKA_VERSION)
            )))
        }
        (direct, software) => direct.or(software),
    };
    if let Some(group) = settings.block(
        BROKER_NODE_GROUP_INFO,
        BROKER_NODE_GROUP_INFO_KEYS,
        Keys::Open,
    )? {
        access.instance_type = string(&group, INSTANCE_TYPE)?;
    }
    Ok(())
}

/// `LoggingInfo.BrokerLogs`: a destination counts only when its `Enabled` is `true` (the flag is
/// required, so one missing is not read as on); a CloudWatch Logs group given by a value not known
/// before deploy is a group still, with an empty name.
fn read_broker_logs(settings: &Block, access: &mut RecordedAccess) -> Result<(), ReadError> {
    let Some(logs) = settings.descend(&[
        (LOGGING_INFO, LOGGING_INFO_KEYS, Keys::Open),
        (BROKER_LOGS, BROKER_LOGS_KEYS, Keys::Open),
    ])?
    else {
        return Ok(());
    };
    let enabled = |key: Key| -> Result<Option<Block>, ReadError> {
        Ok(logs
            .block(key, CLOUD_WATCH_LOGS_KEYS, Keys::Open)?
            .map(|destination| destination.flag(ENABLED).map(|on| (destination, on)))
            .transpose()?
            .and_then(|(destination, on)| (on == Some(true)).then_some(destination)))
    };
    if let Some(cloudwatch) = enabled(CLOUD_WATCH_LOGS)? {
        access.broker_logs.cloudwatch_log_group =
            Some(string(&cloudwatch, LOG_GROUP)?.unwrap_or_default());
    }
    access.broker_logs.s3 = enabled(S3)?.is_some();
    access.broker_logs.firehose = enabled(FIREHOSE)?.is_some();
    Ok(())
}

/// `BrokerNodeGroupInfo.ConnectivityInfo`: public access and multi-VPC client authentication.
fn read_connectivity(settings: &Block, access: &mut RecordedAccess) -> Result<(), ReadError> {
    let connectivity = [
        (
            BROKER_NODE_GROUP_INFO,
            BROKER_NODE_GROUP_INFO_KEYS,
            Keys::Open,
        ),
        (CONNECTIVITY_INFO, CONNECTIVITY_INFO_KEYS, Keys::Open),
    ];
    if let Some(public) = settings.descend(&[
        connectivity[0],
        connectivity[1],
        (PUBLIC_ACCESS, PUBLIC_ACCESS_KEYS, Keys::Open),
    ])? {
        access.public_access = one_of(
            &public,
            TYPE,
            PublicAccess::parse,
            "DISABLED, SERVICE_PROVIDED_EIPS",
        )?;
    }
    if let Some(vpc_auth) = settings.descend(&[
        connectivity[0],
        connectivity[1],
        (VPC_CONNECTIVITY, VPC_CONNECTIVITY_KEYS, Keys::Open),
        (
            CLIENT_AUTHENTICATION,
            MULTI_VPC_CLIENT_AUTHENTICATION_KEYS,
            Keys::KnownOnly,
        ),
    ])? {
        if let Some(sasl) = vpc_auth.block(SASL, SASL_KEYS, Keys::KnownOnly)? {
            access.multi_vpc_sasl_iam = sasl.toggle(IAM)?;
            access.multi_vpc_sasl_scram = sasl.toggle(SCRAM)?;
        }
        access.multi_vpc_tls = vpc_auth.toggle(TLS)?;
    }
    Ok(())
}

/// A string that must be one of a closed set of values (`choices` names them for the error).
fn one_of<T>(
    block: &Block,
    key: Key,
    parse: fn(&str) -> Option<T>,
    choices: &str,
) -> Result<Option<T>, ReadError> {
    match block.get(key) {
        None => Ok(None),
        Some(Json::String(text)) => parse(text).map(Some).ok_or_else(|| {
            ReadError(format!(
                "{} {text:?} is not one of {choices}",
                block.key_path(key)
            ))
        }),
        Some(other) => Err(ReadError(format!(
            "{} must be a string, got {}",
            block.key_path(key),
            other.kind()
        ))),
    }
}

fn string(block: &Block, key: Key) -> Result<Option<String>, ReadError> {
    match block.get(key) {
        None => Ok(None),
        Some(Json::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(ReadError(format!(
            "{} must be a string, got {}",
            block.key_path(key),
            other.kind()
        ))),
    }
}

fn strings(block: &Block, key: Key) -> Result<Vec<String>, ReadError> {
    let not_strings = || ReadError(format!("{} must be a list of strings", block.key_path(key)));
    match block.get(key) {
        None => Ok(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| match item {
                Json::String(text) => Ok(text.clone()),
                _ => Err(not_strings()),
            })
            .collect(),
        Some(_) => Err(not_strings()),
    }
}

/// CloudFormation records tags as a map; some shapes use a list of `{Key, Value}`.
fn tag_keys_of(path: &str, tags: &Json) -> Result<Vec<String>, ReadError> {
    let bad = || {
        ReadError(format!(
            "{path} must be a map of tags or a list of {{Key, Value}}"
        ))
    };
    match tags {
        Json::Object(entries) => Ok(entries.iter().map(|(key, _)| key.clone()).collect()),
        Json::Array(pairs) => pairs
            .iter()
            .map(|pair| match pair {
                Json::Object(entries) => entries
                    .iter()
                    .find(|(name, _)| name == "Key" || name == "key")
                    .and_then(|(_, key)| match key {
                        Json::String(key) => Some(key.clone()),
                        _ => None,
                    })
                    .ok_or_else(bad),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::rule::facts::BrokerLogs;
    use crate::rule::params::SaslMechanism;

    const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";

    fn facts(configuration: Value) -> ClusterFacts {
        read_facts_from_value(configuration, []).unwrap()
    }

    fn refused(text: &str) -> String {
        let json = Json::parse(text).unwrap();
        match read_facts(&json, []) {
            Ok(facts) => panic!("read {text} as {facts:?}"),
            Err(error) => error.0,
        }
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
            client_broker: Some(ClientBroker::Tls),
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
        let mut nested = camel;
        let tags = nested.as_object_mut().unwrap().remove("tags").unwrap();
        assert_eq!(
            facts(json!({"provisioned": nested, "tags": tags})),
            mtls_only()
        );
    }

    /// A destination counts only with `Enabled` `true`; the CloudWatch Logs group is named as
    /// recorded, in either spelling, and a flag that is not a boolean is refused.
    #[test]
    fn broker_log_destinations_count_only_when_enabled() {
        let logs = |logging: Value| facts(json!({ "LoggingInfo": logging })).broker_logs;
        assert_eq!(logs(json!({"BrokerLogs": {}})), BrokerLogs::default());
        assert_eq!(
            logs(json!({"BrokerLogs": {
                "CloudWatchLogs": {"Enabled": true, "LogGroup": "/msk/payments"},
                "S3": {"Enabled": false, "Bucket": "logs"},
                "Firehose": {"Enabled": true, "DeliveryStream": "to-siem"},
            }})),
            BrokerLogs {
                cloudwatch_log_group: Some("/msk/payments".into()),
                s3: false,
                firehose: true,
            }
        );
        assert_eq!(
            logs(
                json!({"BrokerLogs": {"CloudWatchLogs": {"LogGroup": "/msk/payments"}, "S3": {"Enabled": true}}})
            ),
            BrokerLogs {
                cloudwatch_log_group: None,
                s3: true,
                firehose: false
            }
        );
        let camel = facts(json!({"provisioned": {"loggingInfo": {"brokerLogs": {
            "cloudWatchLogs": {"enabled": true, "logGroup": "/msk/orders"}}}}}));
        assert_eq!(
            camel.broker_logs.cloudwatch_log_group.as_deref(),
            Some("/msk/orders")
        );
        let enabled_without_group =
            logs(json!({"BrokerLogs": {"CloudWatchLogs": {"Enabled": true}}}));
        assert_eq!(
            enabled_without_group.cloudwatch_log_group.as_deref(),
            Some("")
        );
        assert!(
            refused(r#"{"LoggingInfo":{"BrokerLogs":{"CloudWatchLogs":{"Enabled":"yes"}}}}"#)
                .contains("LoggingInfo.BrokerLogs.CloudWatchLogs.Enabled must be true or false")
        );
    }

    #[test]
    fn both_spellings_of_one_property_are_refused() {
        let mut both = pascal();
        both["clientAuthentication"] = json!({"unauthenticated": {"enabled": true}});
        let error = read_facts_from_value(both, []).unwrap_err().0;
        assert!(error.contains("given twice"), "{error}");
    }

    #[test]
    fn duplicate_keys_are_refused_not_read_last_wins() {
        for text in [
            r#"{"ClientAuthentication":{"Unauthenticated":{"Enabled":true},"Unauthenticated":{"Enabled":false}}}"#,
            r#"{"ClientAuthentication":{"Unauthenticated":{"Enabled":true,"Enabled":false}}}"#,
            r#"{"EncryptionInfo":{"EncryptionInTransit":{"ClientBroker":"PLAINTEXT","ClientBroker":"TLS"}}}"#,
            r#"{"ClientAuthentication":{"Sasl":{"Scram":{"Enabled":true}},"Sasl":{}}}"#,
            r#"{"ClientAuthentication":{},"ClientAuthentication":{"Tls":{"Enabled":true}}}"#,
        ] {
            let error = refused(text);
            assert!(error.contains("given twice"), "{text}: {error}");
        }
    }

    #[test]
    fn a_tag_list_names_its_keys_whatever_the_order_of_key_and_value() {
        let json = Json::parse(
            r#"{"Tags":[{"Value":"payments","Key":"team"},{"value":"1","key":"tier"}]}"#,
        )
        .unwrap();
        let facts = read_facts(&json, []).unwrap();
        assert_eq!(
            facts.tag_keys,
            ["team".to_owned(), "tier".to_owned()].into_iter().collect()
        );
    }

    #[test]
    fn an_error_names_the_path_as_it_is_spelled() {
        assert_eq!(
            refused(r#"{"EncryptionInfo":{"EncryptionInTransit":{"ClientBroker":"SSL"}}}"#),
            r#"configuration.EncryptionInfo.EncryptionInTransit.ClientBroker "SSL" is not one of TLS, TLS_PLAINTEXT, PLAINTEXT"#
        );
        assert_eq!(
            refused(r#"{"encryptionInfo":{"encryptionInTransit":{"clientBroker":"SSL"}}}"#),
            r#"configuration.encryptionInfo.encryptionInTransit.clientBroker "SSL" is not one of TLS, TLS_PLAINTEXT, PLAINTEXT"#
        );
    }

    #[test]
    fn near_miss_spellings_on_the_read_path_are_refused() {
        for (text, path) in [
            (
                r#"{"ClientAuthentication":{"UnAuthenticated":{"Enabled":true}}}"#,
                "configuration.ClientAuthentication",
            ),
            (
                r#"{"ClientAuthentication":{"UNAUTHENTICATED":{"Enabled":true}}}"#,
                "configuration.ClientAuthentication",
            ),
            (
                r#"{"ClientAuthentication":{"Unauthenticated ":{"Enabled":true}}}"#,
                "configuration.ClientAuthentication",
            ),
            (
                r#"{"ClientAuthentication":{"Un\u0430uthenticated":{"Enabled":true}}}"#,
                "configuration.ClientAuthentication",
            ),
            (
                r#"{"ClientAuthentication":{"Unauth\u200benticated":{"Enabled":true}}}"#,
                "configuration.ClientAuthentication",
            ),
            (
                r#"{"ClientAuthentication":{"SASL":{"Scram":{"Enabled":true}}}}"#,
                "configuration.ClientAuthentication",
            ),
            (
                r#"{"ClientAuthentication":{"Sasl ":{"Scram":{"Enabled":true}}}}"#,
                "configuration.ClientAuthentication",
            ),
            (
                r#"{"ClientAuthentication":{"Sasl":{"SCRAM":{"Enabled":true}}}}"#,
                "configuration.ClientAuthentication.Sasl",
            ),
            (
                r#"{"ClientAuthentication":{"Sasl":{"Scram":{"ENABLED":true}}}}"#,
                "configuration.ClientAuthentication.Sasl.Scram",
            ),
            (
                r#"{"CLIENTAUTHENTICATION":{"Unauthenticated":{"Enabled":true}}}"#,
                "configuration",
            ),
            (
                r#"{"Client Authentication":{"Unauthenticated":{"Enabled":true}}}"#,
                "configuration",
            ),
            (
                r#"{"EncryptionInfo":{"EncryptionInTransit":{"clientbroker":"PLAINTEXT"}}}"#,
                "configuration.EncryptionInfo.EncryptionInTransit",
            ),
            (
                r#"{"BrokerNodeGroupInfo":{"ConnectivityInfo":{"VPCConnectivity":{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}}}}"#,
                "configuration.BrokerNodeGroupInfo.ConnectivityInfo",
            ),
        ] {
            let error = refused(text);
            assert!(error.starts_with(&format!("{path}:")), "{text}: {error}");
        }
    }

    #[test]
    fn unknown_keys_in_client_authentication_blocks_are_refused() {
        for text in [
            r#"{"ClientAuthentication":{"Oauth":{"Enabled":true}}}"#,
            r#"{"ClientAuthentication":{"Sasl":{"Oauthbearer":{"Enabled":true}}}}"#,
            r#"{"ClientAuthentication":{"Tls":{"Enabled":true,"Optional":true}}}"#,
            r#"{"ClientAuthentication":{"Unauthenticated":{"Enabled":false,"Override":true}}}"#,
            r#"{"BrokerNodeGroupInfo":{"ConnectivityInfo":{"VpcConnectivity":{"ClientAuthentication":{"Unauthenticated":{"Enabled":true}}}}}}"#,
        ] {
            let error = refused(text);
            assert!(error.contains("unknown key"), "{text}: {error}");
        }
        // outside client authentication, keys the rule does not read are fine
        let other = json!({"KafkaVersion": "3.6.0", "EncryptionInfo": {"EncryptionAtRest": {}, "EncryptionInTransit": {"ClientBroker": "TLS", "Extra": 1}}});
        assert_eq!(facts(other).client_broker, Some(ClientBroker::Tls));
    }

    /// The Kafka version in either place reads the same; given in both, the two must agree, or a
    /// KRaft version beside a ZooKeeper one could hide the door.
    #[test]
    fn the_kafka_version_is_read_in_either_place_and_two_that_differ_are_refused() {
        use crate::rule::zookeeper::Metadata;
        let kraft = json!({"KafkaVersion": "3.7.x.kraft"});
        assert_eq!(facts(kraft).metadata, Metadata::KRaft);
        let nested = json!({"currentBrokerSoftwareInfo": {"kafkaVersion": "3.7.x.kraft"}});
        assert_eq!(facts(nested).metadata, Metadata::KRaft);
        let both = json!({"KafkaVersion": "3.7.x.kraft", "CurrentBrokerSoftwareInfo": {"KafkaVersion": "3.7.x.kraft"}});
        assert_eq!(facts(both).metadata, Metadata::KRaft);
        assert_eq!(facts(json!({})).metadata, Metadata::ZooKeeper);
        let error = refused(
            r#"{"KafkaVersion":"3.7.x.kraft","CurrentBrokerSoftwareInfo":{"KafkaVersion":"3.6.0"}}"#,
        );
        assert!(
            error.starts_with("configuration.KafkaVersion: \"3.7.x.kraft\" and the current broker software's \"3.6.0\" differ"),
            "{error}"
        );
        let express = json!({"KafkaVersion": "3.6.0", "BrokerNodeGroupInfo": {"InstanceType": "express.m7g.large"}});
        assert_eq!(facts(express).metadata, Metadata::ExpressBrokers);
        let error = refused(r#"{"KafkaVersion":3.6}"#);
        assert!(error.contains("KafkaVersion must be a string"), "{error}");
    }

    #[test]
    fn a_provisioned_block_beside_top_level_settings_is_refused() {
        let mix = json!({
            "ClientAuthentication": {"Unauthenticated": {"Enabled": true}},
            "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "PLAINTEXT"}},
            "Provisioned": pascal(),
        });
        let error = read_facts_from_value(mix, []).unwrap_err().0;
        assert!(error.contains("one item holds one shape"), "{error}");
    }

    #[test]
    fn wrong_types_are_refused_with_the_path() {
        for (path, value) in [
            (
                "/ClientAuthentication/Unauthenticated/Enabled",
                json!("false"),
            ),
            ("/ClientAuthentication/Tls", json!(true)),
            (
                "/ClientAuthentication/Tls/CertificateAuthorityArnList",
                json!([1]),
            ),
            ("/EncryptionInfo/EncryptionInTransit/ClientBroker", json!(1)),
            (
                "/EncryptionInfo/EncryptionInTransit/ClientBroker",
                json!("tls"),
            ),
            ("/Tags", json!("owner")),
        ] {
            let mut bad = pascal();
            *bad.pointer_mut(path).unwrap() = value.clone();
            let error = read_facts_from_value(bad, []).unwrap_err().0;
            let dotted = format!("configuration{}", path.replace('/', "."));
            assert!(error.starts_with(&dotted), "{path} = {value}: {error}");
        }
        let error = read_facts_from_value(json!([]), []).unwrap_err().0;
        assert_eq!(error, "configuration must be an object, got an array");
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
        let tls_on = json!({"ClientAuthentication": {"Tls": {"Enabled": true, "CertificateAuthorityArnList": [CA]}}});
        assert!(!facts(tls_on).unauthenticated_access);
    }

    /// AWS's own procedure (MSK developer guide, "Create a cluster that supports client
    /// authentication") writes the Tls block with a CA list and no `Enabled`: that cluster
    /// enforces mTLS, so reading it as off would be a false alarm on AWS's documented shape.
    #[test]
    fn a_tls_block_with_a_ca_list_and_no_flag_is_on_and_only_false_turns_it_off() {
        let documented =
            json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": [CA]}}});
        let on = facts(documented);
        assert!(on.tls_client_authentication);
        assert!(
            !on.unauthenticated_access,
            "TLS client authentication on: MSK does not open unauthenticated access by default"
        );
        assert_eq!(on.certificate_authority_arns, vec![CA.to_owned()]);
        for (config, enabled) in [
            (
                json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": [CA], "Enabled": false}}}),
                false,
            ),
            (
                json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": [CA], "Enabled": true}}}),
                true,
            ),
            (json!({"ClientAuthentication": {"Tls": {}}}), false),
            (
                json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": []}}}),
                false,
            ),
            (
                json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": ["", " "]}}}),
                false,
            ),
            (
                json!({"clientAuthentication": {"tls": {"certificateAuthorityArnList": [CA]}}}),
                true,
            ),
        ] {
            assert_eq!(
                facts(config.clone()).tls_client_authentication,
                enabled,
                "{config}"
            );
        }
    }

    #[test]
    fn a_door_without_its_flag_counts_as_open() {
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
        let facts = read_facts_from_value(config, ["owner".to_owned()]).unwrap();
        assert_eq!(
            facts.tag_keys,
            BTreeSet::from(["cost-center".to_owned(), "owner".to_owned()])
        );
    }

    #[test]
    fn client_broker_modes_round_trip() {
        for mode in ClientBroker::ALL {
            assert_eq!(ClientBroker::parse(mode.as_str()), Some(mode));
            assert_eq!(mode.to_string(), mode.as_str());
        }
        assert_eq!(ClientBroker::parse("tls"), None);
    }

    /// `ConfigurationInfo` in either spelling names the revision the brokers run; absent is MSK's
    /// default configuration; a revision a hook passes as a string reads as its number; anything
    /// else (no ARN, no revision, revision 0, a number as ARN) is refused, never read as default.
    #[test]
    fn the_configuration_info_names_a_revision_and_anything_else_is_refused() {
        use crate::rule::authorization::{BrokerConfiguration, ConfigurationRevision};
        const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:configuration/tenants/abc-1";
        let revision = |revision| {
            BrokerConfiguration::Revision(ConfigurationRevision {
                arn: ARN.into(),
                revision,
            })
        };
        let with = |info: Value| {
            let mut item = pascal();
            item["ConfigurationInfo"] = info;
            item
        };
        assert_eq!(
            facts(pascal()).configuration,
            BrokerConfiguration::MskDefault
        );
        assert_eq!(
            facts(with(json!({"Arn": ARN, "Revision": 3}))).configuration,
            revision(3)
        );
        assert_eq!(
            facts(with(json!({"arn": ARN, "revision": "4"}))).configuration,
            revision(4)
        );
        assert_eq!(
            facts(with(Value::Null)).configuration,
            BrokerConfiguration::MskDefault
        );
        for (info, words) in [
            (json!({"Revision": 1}), "ConfigurationInfo.Arn is missing"),
            (json!({"Arn": ARN}), "ConfigurationInfo.Revision is missing"),
            (
                json!({"Arn": ARN, "Revision": 0}),
                "must be a revision number",
            ),
            (
                json!({"Arn": ARN, "Revision": "latest"}),
                "must be a revision number",
            ),
            (
                json!({"Arn": ARN, "Revision": true}),
                "must be a revision number",
            ),
            (
                json!({"Arn": "  ", "Revision": 1}),
                "must be a configuration ARN",
            ),
            (
                json!({"Arn": 7, "Revision": 1}),
                "must be a configuration ARN",
            ),
            (json!("arn"), "must be an object"),
        ] {
            let text = with(info.clone()).to_string();
            let error = refused(&text);
            assert!(error.contains(words), "{info}: {error}");
        }
        let provisioned =
            json!({"Provisioned": pascal(), "ConfigurationInfo": {"Arn": ARN, "Revision": 1}});
        assert!(refused(&provisioned.to_string()).contains("one item holds one shape"));
    }
}
