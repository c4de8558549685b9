//! MSK Connect's answers (ListConnectors) in the rule's terms: which cluster a connector reaches
//! (its bootstrap servers) and through which door (its authentication).

use aws_sdk_kafkaconnect::types::{
    ConnectorState, ConnectorSummary, KafkaClusterClientAuthenticationType,
};

use crate::rule::doors::{hosts_of, Connector};

/// A connector, or `None` for one being deleted, or whose authentication type this build does not
/// know (it cannot be put behind a door).
pub fn connector(summary: &ConnectorSummary) -> Option<Connector> {
    if summary.connector_state() == Some(&ConnectorState::Deleting) {
        return None;
    }
    let iam = match summary
        .kafka_cluster_client_authentication()
        .and_then(|auth| auth.authentication_type())
    {
        Some(KafkaClusterClientAuthenticationType::Iam) => true,
        Some(KafkaClusterClientAuthenticationType::None) | None => false,
        Some(_) => return None,
    };
    let servers = summary
        .kafka_cluster()
        .and_then(|cluster| cluster.apache_kafka_cluster())
        .and_then(|cluster| cluster.bootstrap_servers())
        .unwrap_or_default();
    Some(Connector {
        name: summary
            .connector_name()
            .or(summary.connector_arn())
            .unwrap_or("without a name")
            .to_owned(),
        hosts: hosts_of(servers),
        iam,
    })
}
