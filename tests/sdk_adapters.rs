//! The AWS SDK adapters, tested at the SDK boundary with aws-smithy-mocks: what goes into each
//! request and how each answer (including errors) maps to the project's own types.

use aws_sdk_acmpca::error::ErrorMetadata;
use aws_sdk_acmpca::operation::describe_certificate_authority::{
    DescribeCertificateAuthorityError, DescribeCertificateAuthorityOutput,
};
use aws_sdk_acmpca::types::{CertificateAuthority, CertificateAuthorityStatus};
use aws_sdk_config::operation::get_resource_config_history::GetResourceConfigHistoryOutput;
use aws_sdk_config::operation::put_evaluations::PutEvaluationsOutput;
use aws_sdk_config::primitives::DateTime;
use aws_sdk_config::types::{
    ConfigurationItem, ConfigurationItemStatus, Evaluation as SdkEvaluation, ResourceType,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use msk_mtls_rule::aws::AwsPorts;
use msk_mtls_rule::evaluation::{ComplianceType, Evaluation};
use msk_mtls_rule::event::{ItemStatus, ResultToken};
use msk_mtls_rule::ports::{CertificateAuthorities, ConfigHistory, EvaluationSink};
use msk_mtls_rule::verdict::CaHealth;

const CLUSTER: &str =
    "arn:aws:kafka:us-east-1:123456789012:cluster/demo/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";
const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";

fn evaluation(id: &str) -> Evaluation {
    Evaluation {
        resource_type: "AWS::MSK::Cluster".into(),
        resource_id: id.into(),
        compliance: ComplianceType::NonCompliant,
        annotation: Some("unauthenticated access is enabled".into()),
        ordering_timestamp: DateTime::from_secs(1_682_607_791),
    }
}

#[tokio::test]
async fn put_evaluations_sends_test_mode_only_for_the_testmode_token() {
    for (token, expect_test_mode) in [("TESTMODE", Some(true)), ("eyJlbmNyeXB0ZWRE", None)] {
        let rule = mock!(aws_sdk_config::Client::put_evaluations)
            .match_requests(move |request| {
                let sent = &request.evaluations()[0];
                request.test_mode() == expect_test_mode
                    && request.result_token() == Some(token)
                    && sent.compliance_resource_id() == CLUSTER
                    && sent.compliance_type()
                        == &aws_sdk_config::types::ComplianceType::NonCompliant
                    && sent.annotation() == Some("unauthenticated access is enabled")
                    && sent.ordering_timestamp().secs() == 1_682_607_791
            })
            .then_output(|| PutEvaluationsOutput::builder().build());
        let client = mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule]);
        let service = AwsPorts::with_clients(Some(client), None, None);
        let failed = service
            .put_evaluations(&ResultToken::new(token), &[evaluation(CLUSTER)])
            .await
            .unwrap();
        assert!(failed.is_empty());
        assert_eq!(rule.num_calls(), 1, "request did not match for {token}");
    }
}

#[tokio::test]
async fn put_evaluations_reports_failed_evaluations() {
    let rule = mock!(aws_sdk_config::Client::put_evaluations).then_output(|| {
        PutEvaluationsOutput::builder()
            .failed_evaluations(
                SdkEvaluation::builder()
                    .compliance_resource_type("AWS::MSK::Cluster")
                    .compliance_resource_id(CLUSTER)
                    .compliance_type(aws_sdk_config::types::ComplianceType::NonCompliant)
                    .ordering_timestamp(DateTime::from_secs(1))
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let service = AwsPorts::with_clients(
        Some(mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule])),
        None,
        None,
    );
    let failed = service
        .put_evaluations(&ResultToken::new("TESTMODE"), &[evaluation(CLUSTER)])
        .await
        .unwrap();
    assert_eq!(
        failed,
        vec![("AWS::MSK::Cluster".to_owned(), CLUSTER.to_owned())]
    );
}

#[tokio::test]
async fn put_evaluations_error_is_an_aws_api_error() {
    let rule = mock!(aws_sdk_config::Client::put_evaluations).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
            aws_smithy_types::body::SdkBody::from(
                r#"{"__type":"InvalidResultTokenException","message":"bad token"}"#,
            ),
        )
    });
    let service = AwsPorts::with_clients(
        Some(mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule])),
        None,
        None,
    );
    let error = service
        .put_evaluations(&ResultToken::new("x"), &[evaluation(CLUSTER)])
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    let message = error.to_string();
    assert!(
        message.contains("PutEvaluations") && message.contains("InvalidResultTokenException"),
        "{message}"
    );
}

#[tokio::test]
async fn history_item_configuration_string_is_parsed() {
    let configuration =
        r#"{"ClientAuthentication":{"Tls":{"Enabled":true,"CertificateAuthorityArnList":["x"]}}}"#;
    let rule = mock!(aws_sdk_config::Client::get_resource_config_history)
        .match_requests(|request| {
            request.resource_type() == Some(&ResourceType::from("AWS::MSK::Cluster"))
                && request.resource_id() == Some(CLUSTER)
                && request.limit() == Some(1)
                && request.later_time().map(DateTime::secs) == Some(1_682_607_791)
        })
        .then_output(move || {
            GetResourceConfigHistoryOutput::builder()
                .configuration_items(
                    ConfigurationItem::builder()
                        .resource_type(ResourceType::from("AWS::MSK::Cluster"))
                        .resource_id(CLUSTER)
                        .configuration_item_status(ConfigurationItemStatus::Ok)
                        .configuration_item_capture_time(DateTime::from_secs(1_682_607_791))
                        .configuration(configuration)
                        .tags("owner", "team")
                        .build(),
                )
                .build()
        });
    let service = AwsPorts::with_clients(
        Some(mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule])),
        None,
        None,
    );
    let item = service
        .latest_item(
            "AWS::MSK::Cluster",
            CLUSTER,
            DateTime::from_secs(1_682_607_791),
        )
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(item.status, ItemStatus::Ok);
    assert_eq!(
        item.configuration.unwrap(),
        serde_json::from_str::<serde_json::Value>(configuration).unwrap()
    );
    assert_eq!(item.tags.get("owner").map(String::as_str), Some("team"));
}

#[tokio::test]
async fn empty_history_is_an_error_not_a_verdict() {
    let rule = mock!(aws_sdk_config::Client::get_resource_config_history)
        .then_output(|| GetResourceConfigHistoryOutput::builder().build());
    let service = AwsPorts::with_clients(
        Some(mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule])),
        None,
        None,
    );
    let error = service
        .latest_item("AWS::MSK::Cluster", CLUSTER, DateTime::from_secs(0))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("no configuration item recorded"),
        "{error}"
    );
}

fn ca_answer(
    status: CertificateAuthorityStatus,
    not_after: Option<i64>,
) -> DescribeCertificateAuthorityOutput {
    DescribeCertificateAuthorityOutput::builder()
        .certificate_authority(
            CertificateAuthority::builder()
                .arn(CA)
                .status(status)
                .set_not_after(not_after.map(DateTime::from_secs))
                .build(),
        )
        .build()
}

async fn health_for(rule: aws_smithy_mocks::Rule) -> Result<CaHealth, msk_mtls_rule::RuleError> {
    let client = mock_client!(aws_sdk_acmpca, RuleMode::Sequential, [&rule]);
    AwsPorts::with_clients(None, Some(client), None)
        .health(CA)
        .await
}

#[tokio::test]
async fn ca_status_and_expiry_are_read() {
    let active = mock!(aws_sdk_acmpca::Client::describe_certificate_authority)
        .match_requests(|request| request.certificate_authority_arn() == Some(CA))
        .then_output(|| ca_answer(CertificateAuthorityStatus::Active, Some(2_000_000_000)));
    assert_eq!(
        health_for(active).await.unwrap(),
        CaHealth::Active {
            not_after: Some(DateTime::from_secs(2_000_000_000))
        }
    );
    let disabled = mock!(aws_sdk_acmpca::Client::describe_certificate_authority)
        .then_output(|| ca_answer(CertificateAuthorityStatus::Disabled, Some(2_000_000_000)));
    assert_eq!(
        health_for(disabled).await.unwrap(),
        CaHealth::NotActive {
            status: "DISABLED".into()
        }
    );
}

#[tokio::test]
async fn missing_and_unreadable_cas_are_health_values() {
    let missing = mock!(aws_sdk_acmpca::Client::describe_certificate_authority).then_error(|| {
        DescribeCertificateAuthorityError::ResourceNotFoundException(
            aws_sdk_acmpca::types::error::ResourceNotFoundException::builder().build(),
        )
    });
    assert_eq!(health_for(missing).await.unwrap(), CaHealth::NotFound);

    let denied = mock!(aws_sdk_acmpca::Client::describe_certificate_authority).then_error(|| {
        DescribeCertificateAuthorityError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .build(),
        )
    });
    assert_eq!(
        health_for(denied).await.unwrap(),
        CaHealth::Unreadable {
            reason: "AccessDeniedException".into()
        }
    );
}

#[tokio::test]
async fn other_ca_errors_fail_the_call() {
    let throttled =
        mock!(aws_sdk_acmpca::Client::describe_certificate_authority).then_error(|| {
            DescribeCertificateAuthorityError::generic(
                ErrorMetadata::builder().code("ThrottlingException").build(),
            )
        });
    let error = health_for(throttled).await.unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(error.to_string().contains("DescribeCertificateAuthority"));
}

#[tokio::test]
async fn listed_clusters_read_like_config_items() {
    use aws_sdk_kafka::operation::list_clusters_v2::ListClustersV2Output;
    use aws_sdk_kafka::types::{
        BrokerNodeGroupInfo, ClientAuthentication, ClientBroker, Cluster as KafkaCluster,
        ClusterType, ConnectivityInfo, EncryptionInTransit, EncryptionInfo, Iam, Provisioned, Sasl,
        Tls, Unauthenticated, VpcConnectivity, VpcConnectivityClientAuthentication,
        VpcConnectivitySasl, VpcConnectivityScram,
    };
    use msk_mtls_rule::cluster::Cluster;
    use msk_mtls_rule::params::SaslMechanism;
    use msk_mtls_rule::ports::ClusterInventory;

    let rule = mock!(aws_sdk_kafka::Client::list_clusters_v2)
        .match_requests(|request| {
            request.max_results() == Some(100) && request.next_token() == Some("page-2")
        })
        .then_output(|| {
            let provisioned = Provisioned::builder()
                .client_authentication(
                    ClientAuthentication::builder()
                        .tls(
                            Tls::builder()
                                .enabled(true)
                                .certificate_authority_arn_list(CA)
                                .build(),
                        )
                        .sasl(
                            Sasl::builder()
                                .iam(Iam::builder().enabled(true).build())
                                .build(),
                        )
                        .unauthenticated(Unauthenticated::builder().enabled(false).build())
                        .build(),
                )
                .encryption_info(
                    EncryptionInfo::builder()
                        .encryption_in_transit(
                            EncryptionInTransit::builder()
                                .client_broker(ClientBroker::TlsPlaintext)
                                .build(),
                        )
                        .build(),
                )
                .broker_node_group_info(
                    BrokerNodeGroupInfo::builder()
                        .connectivity_info(
                            ConnectivityInfo::builder()
                                .vpc_connectivity(
                                    VpcConnectivity::builder()
                                        .client_authentication(
                                            VpcConnectivityClientAuthentication::builder()
                                                .sasl(
                                                    VpcConnectivitySasl::builder()
                                                        .scram(
                                                            VpcConnectivityScram::builder()
                                                                .enabled(true)
                                                                .build(),
                                                        )
                                                        .build(),
                                                )
                                                .build(),
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build();
            ListClustersV2Output::builder()
                .cluster_info_list(
                    KafkaCluster::builder()
                        .cluster_arn(CLUSTER)
                        .cluster_type(ClusterType::Provisioned)
                        .provisioned(provisioned)
                        .tags("owner", "team")
                        .build(),
                )
                .cluster_info_list(
                    KafkaCluster::builder()
                        .cluster_arn("arn:aws:kafka:us-east-1:123456789012:cluster/sls/x-s1")
                        .cluster_type(ClusterType::Serverless)
                        .build(),
                )
                .next_token("page-3")
                .build()
        });
    let kafka = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&rule]);
    let page = AwsPorts::with_clients(None, None, Some(kafka))
        .list_clusters(Some("page-2".into()))
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(page.next_token.as_deref(), Some("page-3"));
    assert_eq!(page.items[0].resource_type, "AWS::MSK::Cluster");
    let Cluster::Provisioned(facts) = &page.items[0].cluster else {
        panic!("provisioned cluster read as serverless")
    };
    assert!(facts.tls_client_authentication && !facts.unauthenticated_access);
    assert_eq!(facts.certificate_authority_arns, vec![CA.to_owned()]);
    assert_eq!(facts.client_broker.as_deref(), Some("TLS_PLAINTEXT"));
    assert_eq!(
        facts.sasl_mechanisms.iter().copied().collect::<Vec<_>>(),
        vec![SaslMechanism::Iam]
    );
    assert_eq!(
        facts
            .multi_vpc
            .sasl_mechanisms
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![SaslMechanism::Scram]
    );
    assert!(facts.tag_keys.contains("owner"));
    assert_eq!(page.items[1].resource_type, "AWS::MSK::ServerlessCluster");
    assert_eq!(page.items[1].cluster, Cluster::Serverless);
}
