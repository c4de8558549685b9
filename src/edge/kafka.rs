//! Kafka API answers (the SDK's types) mapped member by member to the rule's `RecordedAccess`, the
//! same one a Config item fills: no JSON in between, and nothing the verdict needs left behind.

use std::collections::BTreeMap;

use aws_sdk_kafka::operation::get_bootstrap_brokers::GetBootstrapBrokersOutput;
use aws_sdk_kafka::types::{
    ClientBroker as KafkaClientBroker, ClientVpcConnection as KafkaClientVpcConnection,
    Cluster as KafkaCluster, ClusterOperationInfo, ClusterType, Provisioned, ReplicatorState,
    ReplicatorSummary, VpcConnectionState,
};

use crate::edge::read::to_timestamp;
use crate::error::RuleError;
use crate::rule::authorization::{BrokerConfiguration, ConfigurationRevision};
use crate::rule::doors::{ClientVpcConnection, Replicator};
use crate::rule::evaluation::ResourceType;
use crate::rule::facts::{
    BrokerLogs, ClientBroker, Cluster, PublicAccess, RecordedAccess, RecordedTls,
};
use crate::rule::params::SaslMechanism;
use crate::rule::zookeeper::ZooKeeperChange;

/// A cluster as the Kafka API lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedCluster {
    pub resource_type: ResourceType,
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub cluster: Cluster,
}

/// A Kafka API cluster, mapped member by member to the same `RecordedAccess` a Config item fills,
/// so both triggers give one verdict for one cluster.
pub fn listed_cluster(cluster: &KafkaCluster) -> Result<ListedCluster, RuleError> {
    let arn = cluster
        .cluster_arn()
        .ok_or_else(|| RuleError::aws("ListClustersV2", "a cluster without clusterArn"))?
        .to_owned();
    let tags: BTreeMap<String, String> = cluster
        .tags()
        .into_iter()
        .flatten()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let (resource_type, cluster) = match cluster.cluster_type() {
        Some(ClusterType::Serverless) => (ResourceType::MskServerlessCluster, Cluster::Serverless),
        Some(ClusterType::Provisioned) => {
            let access = recorded_access(&arn, cluster.provisioned())?;
            let facts = access.resolve(tags.keys().cloned().collect());
            (ResourceType::MskCluster, Cluster::Provisioned(facts))
        }
        other => {
            return Err(RuleError::aws(
                "ListClustersV2",
                format!(
                    "cluster {arn} has clusterType {:?}, not PROVISIONED or SERVERLESS",
                    other.map(ClusterType::as_str)
                ),
            ))
        }
    };
    Ok(ListedCluster {
        resource_type,
        arn,
        tags,
        cluster,
    })
}

/// What the Kafka API records of a provisioned cluster's access, with nothing left out: a member
/// the rule does not map here is a member the verdict does not see.
pub fn recorded_access(
    arn: &str,
    provisioned: Option<&Provisioned>,
) -> Result<RecordedAccess, RuleError> {
    let mut access = RecordedAccess::default();
    let Some(provisioned) = provisioned else {
        return Ok(access);
    };
    if let Some(auth) = provisioned.client_authentication() {
        if let Some(sasl) = auth.sasl() {
            access.sasl_iam = sasl.iam().map(|iam| iam.enabled());
            access.sasl_scram = sasl.scram().map(|scram| scram.enabled());
        }
        access.tls = auth.tls().map(|tls| RecordedTls {
            enabled: tls.enabled(),
            certificate_authority_arns: tls.certificate_authority_arn_list().to_vec(),
        });
        access.unauthenticated = auth
            .unauthenticated()
            .map(|unauthenticated| unauthenticated.enabled());
    }
    let in_transit = provisioned
        .encryption_info()
        .and_then(|info| info.encryption_in_transit());
    access.in_cluster = in_transit.and_then(|in_transit| in_transit.in_cluster());
    if let Some(mode) = in_transit.and_then(|in_transit| in_transit.client_broker()) {
        access.client_broker = Some(match mode {
            KafkaClientBroker::Tls => ClientBroker::Tls,
            KafkaClientBroker::TlsPlaintext => ClientBroker::TlsPlaintext,
            KafkaClientBroker::Plaintext => ClientBroker::Plaintext,
            other => {
                return Err(RuleError::aws(
                    "ListClustersV2",
                    format!(
                    "cluster {arn}: clientBroker {:?} is not one of TLS, TLS_PLAINTEXT, PLAINTEXT",
                    other.as_str()
                ),
                ))
            }
        });
    }
    recorded_connectivity(arn, provisioned, &mut access)?;
    access.configuration = broker_configuration(arn, provisioned)?;
    access.kafka_version = provisioned
        .current_broker_software_info()
        .and_then(|software| software.kafka_version())
        .map(str::to_owned);
    access.instance_type = provisioned
        .broker_node_group_info()
        .and_then(|group| group.instance_type())
        .map(str::to_owned);
    access.broker_logs = broker_logs(provisioned);
    Ok(access)
}

/// `loggingInfo.brokerLogs`: the destinations that are on.
fn broker_logs(provisioned: &Provisioned) -> BrokerLogs {
    let Some(logs) = provisioned
        .logging_info()
        .and_then(|logging| logging.broker_logs())
    else {
        return BrokerLogs::default();
    };
    BrokerLogs {
        cloudwatch_log_group: logs
            .cloud_watch_logs()
            .filter(|cloudwatch| cloudwatch.enabled() == Some(true))
            .map(|cloudwatch| cloudwatch.log_group().unwrap_or_default().to_owned()),
        s3: logs.s3().is_some_and(|s3| s3.enabled() == Some(true)),
        firehose: logs
            .firehose()
            .is_some_and(|firehose| firehose.enabled() == Some(true)),
    }
}

/// `currentBrokerSoftwareInfo`: the configuration the brokers run now; no configuration ARN is
/// MSK's default configuration, an ARN without a revision cannot be read and is refused.
fn broker_configuration(
    arn: &str,
    provisioned: &Provisioned,
) -> Result<BrokerConfiguration, RuleError> {
    let software = provisioned.current_broker_software_info();
    let Some(configuration_arn) = software.and_then(|software| software.configuration_arn()) else {
        return Ok(BrokerConfiguration::MskDefault);
    };
    match software.and_then(|software| software.configuration_revision()) {
        Some(revision) => Ok(BrokerConfiguration::Revision(ConfigurationRevision {
            arn: configuration_arn.to_owned(),
            revision,
        })),
        None => Err(RuleError::aws(
            "ListClustersV2",
            format!("cluster {arn}: configuration {configuration_arn} without a revision"),
        )),
    }
}

/// `brokerNodeGroupInfo.connectivityInfo`: public access and multi-VPC client authentication.
fn recorded_connectivity(
    arn: &str,
    provisioned: &Provisioned,
    access: &mut RecordedAccess,
) -> Result<(), RuleError> {
    let connectivity = provisioned
        .broker_node_group_info()
        .and_then(|info| info.connectivity_info());
    if let Some(kind) = connectivity
        .and_then(|connectivity| connectivity.public_access())
        .and_then(|public| public.r#type())
    {
        access.public_access = Some(PublicAccess::parse(kind).ok_or_else(|| {
            RuleError::aws(
                "ListClustersV2",
                format!("cluster {arn}: publicAccess type {kind:?} is not one of DISABLED, SERVICE_PROVIDED_EIPS"),
            )
        })?);
    }
    if let Some(vpc_auth) = connectivity
        .and_then(|connectivity| connectivity.vpc_connectivity())
        .and_then(|vpc| vpc.client_authentication())
    {
        if let Some(sasl) = vpc_auth.sasl() {
            access.multi_vpc_sasl_iam = sasl.iam().map(|iam| iam.enabled());
            access.multi_vpc_sasl_scram = sasl.scram().map(|scram| scram.enabled());
        }
        access.multi_vpc_tls = vpc_auth.tls().map(|tls| tls.enabled());
    }
    Ok(())
}

/// An operation of ListClusterOperations that set direct ZooKeeper access (its
/// `targetClusterInfo.zookeeperAccess`), in the rule's terms; `None` for any other operation. A
/// change without a creation time cannot be put in order, and is refused.
pub fn zookeeper_change(
    cluster_arn: &str,
    operation: &ClusterOperationInfo,
) -> Result<Option<ZooKeeperChange>, RuleError> {
    let Some(access) = operation
        .target_cluster_info()
        .and_then(|target| target.zookeeper_access())
    else {
        return Ok(None);
    };
    let created = operation.creation_time().ok_or_else(|| {
        RuleError::aws(
            "ListClusterOperations",
            format!(
                "cluster {cluster_arn}: operation {:?} sets ZooKeeper access without a creationTime",
                operation.operation_arn().unwrap_or_default()
            ),
        )
    })?;
    Ok(Some(ZooKeeperChange {
        created: to_timestamp(created),
        completed: operation.operation_state() == Some("UPDATE_COMPLETE"),
        enabled: access.enabled(),
    }))
}

/// GetBootstrapBrokers' members, by their names in the Kafka API, each with its accessor.
type BootstrapMember = (&'static str, fn(&GetBootstrapBrokersOutput) -> Option<&str>);

const BOOTSTRAP_MEMBERS: [BootstrapMember; 14] = [
    (
        "bootstrapBrokerString",
        GetBootstrapBrokersOutput::bootstrap_broker_string,
    ),
    (
        "bootstrapBrokerStringTls",
        GetBootstrapBrokersOutput::bootstrap_broker_string_tls,
    ),
    (
        "bootstrapBrokerStringSaslScram",
        GetBootstrapBrokersOutput::bootstrap_broker_string_sasl_scram,
    ),
    (
        "bootstrapBrokerStringSaslIam",
        GetBootstrapBrokersOutput::bootstrap_broker_string_sasl_iam,
    ),
    (
        "bootstrapBrokerStringPublicTls",
        GetBootstrapBrokersOutput::bootstrap_broker_string_public_tls,
    ),
    (
        "bootstrapBrokerStringPublicSaslScram",
        GetBootstrapBrokersOutput::bootstrap_broker_string_public_sasl_scram,
    ),
    (
        "bootstrapBrokerStringPublicSaslIam",
        GetBootstrapBrokersOutput::bootstrap_broker_string_public_sasl_iam,
    ),
    (
        "bootstrapBrokerStringVpcConnectivityTls",
        GetBootstrapBrokersOutput::bootstrap_broker_string_vpc_connectivity_tls,
    ),
    (
        "bootstrapBrokerStringVpcConnectivitySaslScram",
        GetBootstrapBrokersOutput::bootstrap_broker_string_vpc_connectivity_sasl_scram,
    ),
    (
        "bootstrapBrokerStringVpcConnectivitySaslIam",
        GetBootstrapBrokersOutput::bootstrap_broker_string_vpc_connectivity_sasl_iam,
    ),
    (
        "bootstrapBrokerStringIpv6",
        GetBootstrapBrokersOutput::bootstrap_broker_string_ipv6,
    ),
    (
        "bootstrapBrokerStringTlsIpv6",
        GetBootstrapBrokersOutput::bootstrap_broker_string_tls_ipv6,
    ),
    (
        "bootstrapBrokerStringSaslScramIpv6",
        GetBootstrapBrokersOutput::bootstrap_broker_string_sasl_scram_ipv6,
    ),
    (
        "bootstrapBrokerStringSaslIamIpv6",
        GetBootstrapBrokersOutput::bootstrap_broker_string_sasl_iam_ipv6,
    ),
];

/// DescribeClusterV2's ZooKeeper connection strings (`provisioned`), by their wire names: MSK's
/// ZooKeeper nodes are in the cluster's VPC, so they are private endpoints.
pub const ZOOKEEPER_MEMBER: &str = "zookeeperConnectString";
pub const ZOOKEEPER_TLS_MEMBER: &str = "zookeeperConnectStringTls";

/// DescribeClusterV2's ZooKeeper connection strings, by their wire names (as GetBootstrapBrokers'
/// members are), those that list nodes.
pub fn zookeeper_members(cluster: Option<&KafkaCluster>) -> Vec<(String, String)> {
    let provisioned = cluster.and_then(KafkaCluster::provisioned);
    [
        (
            ZOOKEEPER_MEMBER,
            provisioned.and_then(Provisioned::zookeeper_connect_string),
        ),
        (
            ZOOKEEPER_TLS_MEMBER,
            provisioned.and_then(Provisioned::zookeeper_connect_string_tls),
        ),
    ]
    .into_iter()
    .filter_map(|(member, list)| {
        Some((
            member.to_owned(),
            list.filter(|l| !l.is_empty())?.to_owned(),
        ))
    })
    .collect()
}

/// GetBootstrapBrokers' answer: each member that lists brokers, by its name in the Kafka API.
pub fn bootstrap_members(output: &GetBootstrapBrokersOutput) -> Vec<(String, String)> {
    BOOTSTRAP_MEMBERS
        .iter()
        .filter_map(|(member, list)| {
            Some((
                (*member).to_owned(),
                list(output).filter(|l| !l.is_empty())?.to_owned(),
            ))
        })
        .collect()
}

/// A replicator of ListReplicators, with every MSK cluster it names; `None` for one being deleted,
/// which no longer needs the door.
pub fn replicator(summary: &ReplicatorSummary) -> Option<Replicator> {
    if summary.replicator_state() == Some(&ReplicatorState::Deleting) {
        return None;
    }
    let name = summary
        .replicator_name()
        .or(summary.replicator_arn())
        .unwrap_or("without a name");
    Some(Replicator {
        name: name.to_owned(),
        cluster_arns: summary
            .kafka_clusters_summary()
            .iter()
            .filter_map(|cluster| Some(cluster.amazon_msk_cluster()?.msk_cluster_arn()?.to_owned()))
            .collect(),
    })
}

/// A client's VPC connection of ListClientVpcConnections; `None` for one the cluster rejected or
/// that is being deleted, which uses no door.
pub fn client_vpc_connection(connection: &KafkaClientVpcConnection) -> Option<ClientVpcConnection> {
    if matches!(
        connection.state(),
        Some(
            VpcConnectionState::Rejected
                | VpcConnectionState::Rejecting
                | VpcConnectionState::Deleting
        )
    ) {
        return None;
    }
    let sasl = match connection.authentication() {
        Some("SASL_IAM") => Some(SaslMechanism::Iam),
        Some("SASL_SCRAM") => Some(SaslMechanism::Scram),
        _ => None,
    };
    Some(ClientVpcConnection {
        arn: connection
            .vpc_connection_arn()
            .unwrap_or("without an ARN")
            .to_owned(),
        owner: connection.owner().map(str::to_owned),
        sasl,
    })
}

#[cfg(test)]
mod door_tests {
    use super::*;

    #[test]
    fn a_replicator_without_a_name_is_named_by_its_arn_and_one_without_either_is_still_named() {
        let summary = |name: Option<&str>, arn: Option<&str>| {
            ReplicatorSummary::builder()
                .set_replicator_name(name.map(str::to_owned))
                .set_replicator_arn(arn.map(str::to_owned))
                .build()
        };
        assert_eq!(
            replicator(&summary(None, Some("arn:r"))).unwrap().name,
            "arn:r"
        );
        assert_eq!(
            replicator(&summary(None, None)).unwrap().name,
            "without a name"
        );
        assert!(replicator(&summary(Some("r"), None))
            .unwrap()
            .cluster_arns
            .is_empty());
    }

    #[test]
    fn a_vpc_connection_rejecting_or_deleting_uses_no_door() {
        for state in [VpcConnectionState::Rejecting, VpcConnectionState::Deleting] {
            let connection = KafkaClientVpcConnection::builder()
                .vpc_connection_arn("arn:v")
                .authentication("SASL_IAM")
                .state(state)
                .build();
            assert_eq!(client_vpc_connection(&connection), None);
        }
        let unnamed = KafkaClientVpcConnection::builder()
            .authentication("SASL_SCRAM")
            .build();
        assert_eq!(
            client_vpc_connection(&unnamed),
            Some(ClientVpcConnection {
                arn: "without an ARN".into(),
                owner: None,
                sasl: Some(SaslMechanism::Scram)
            })
        );
    }
}
