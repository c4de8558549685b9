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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kafkaconnect::types::{
        ApacheKafkaClusterDescription, KafkaClusterClientAuthenticationDescription,
        KafkaClusterDescription,
    };

    fn summary(
        name: Option<&str>,
        state: ConnectorState,
        auth: Option<KafkaClusterClientAuthenticationType>,
    ) -> ConnectorSummary {
        ConnectorSummary::builder()
            .set_connector_name(name.map(str::to_owned))
            .connector_arn("arn:aws:kafkaconnect:us-east-1:1:connector/c/x")
            .connector_state(state)
            .kafka_cluster(
                KafkaClusterDescription::builder()
                    .apache_kafka_cluster(
                        ApacheKafkaClusterDescription::builder()
                            .bootstrap_servers("B-1.Orders.x.c2.kafka.us-east-1.amazonaws.com:9098,b-2.orders.x.c2.kafka.us-east-1.amazonaws.com:9098")
                            .build(),
                    )
                    .build(),
            )
            .set_kafka_cluster_client_authentication(auth.map(|auth| {
                KafkaClusterClientAuthenticationDescription::builder()
                    .authentication_type(auth)
                    .build()
            }))
            .build()
    }

    #[test]
    fn a_connector_is_its_name_hosts_and_door() {
        let iam = connector(&summary(
            Some("orders-sink"),
            ConnectorState::Running,
            Some(KafkaClusterClientAuthenticationType::Iam),
        ))
        .unwrap();
        assert_eq!(iam.name, "orders-sink");
        assert!(iam.iam);
        assert_eq!(
            iam.hosts,
            [
                "b-1.orders.x.c2.kafka.us-east-1.amazonaws.com",
                "b-2.orders.x.c2.kafka.us-east-1.amazonaws.com"
            ]
        );
        for auth in [Some(KafkaClusterClientAuthenticationType::None), None] {
            let none = connector(&summary(None, ConnectorState::Failed, auth)).unwrap();
            assert!(
                !none.iam,
                "NONE or no authentication given is unauthenticated"
            );
            assert_eq!(none.name, "arn:aws:kafkaconnect:us-east-1:1:connector/c/x");
        }
    }

    #[test]
    fn a_connector_being_deleted_or_of_an_unknown_authentication_is_not_named() {
        assert_eq!(
            connector(&summary(Some("c"), ConnectorState::Deleting, None)),
            None
        );
        let unknown = KafkaClusterClientAuthenticationType::from("MTLS");
        assert_eq!(
            connector(&summary(Some("c"), ConnectorState::Running, Some(unknown))),
            None
        );
    }
}
