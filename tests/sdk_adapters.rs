//! The AWS SDK adapters, tested at the SDK boundary with aws-smithy-mocks: what goes into each
//! request and how each answer (including errors) maps to the project's own types.

use aws_sdk_acmpca::error::ErrorMetadata;
use aws_sdk_acmpca::operation::describe_certificate_authority::{
    DescribeCertificateAuthorityError, DescribeCertificateAuthorityOutput,
};
use aws_sdk_acmpca::operation::get_policy::{GetPolicyError, GetPolicyOutput};
use aws_sdk_acmpca::types::{CertificateAuthority, CertificateAuthorityStatus};
use aws_sdk_acmpca::types::{CertificateAuthorityType, CertificateAuthorityUsageMode};
use aws_sdk_config::operation::get_resource_config_history::GetResourceConfigHistoryOutput;
use aws_sdk_config::operation::put_evaluations::PutEvaluationsOutput;
use aws_sdk_config::primitives::DateTime;
use aws_sdk_config::types::{
    ConfigurationItem, ConfigurationItemStatus, Evaluation as SdkEvaluation, ResourceType,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use msk_mtls_rule::aws::ports::{ConfigService, PrivateCaService};
use msk_mtls_rule::aws::sdk::AwsAccount;
use msk_mtls_rule::edge::event::ResultToken;
use msk_mtls_rule::edge::item::ItemStatus;
use msk_mtls_rule::rule::ca::{
    CaDescription, CaHealth, CaKind, CaProfile, CaStatus, Issuers, UsageMode,
};
use msk_mtls_rule::rule::evaluation::{
    ComplianceType, Evaluation, ResourceKey, ResourceType as RuleResourceType,
};
use msk_mtls_rule::Timestamp;

const CLUSTER: &str =
    "arn:aws:kafka:us-east-1:123456789012:cluster/demo/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";
const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";

fn cluster_key() -> ResourceKey {
    ResourceKey {
        resource_type: RuleResourceType::MskCluster,
        resource_id: CLUSTER.to_owned(),
    }
}

fn evaluation(id: &str) -> Evaluation {
    Evaluation {
        resource_type: RuleResourceType::MskCluster,
        resource_id: id.into(),
        compliance: ComplianceType::NonCompliant,
        annotation: Some("unauthenticated access is enabled".into()),
        ordering_timestamp: Timestamp::from_secs(1_682_607_791),
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
        let service = AwsAccount::with_clients(Some(client), None, None);
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
    let service = AwsAccount::with_clients(
        Some(mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule])),
        None,
        None,
    );
    let failed = service
        .put_evaluations(&ResultToken::new("TESTMODE"), &[evaluation(CLUSTER)])
        .await
        .unwrap();
    assert_eq!(failed, vec![cluster_key()]);
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
    let service = AwsAccount::with_clients(
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
    let service = AwsAccount::with_clients(
        Some(mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule])),
        None,
        None,
    );
    let item = service
        .latest_item(&cluster_key(), Timestamp::from_secs(1_682_607_791))
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(item.status, ItemStatus::Ok);
    assert_eq!(
        item.configuration.unwrap(),
        msk_mtls_rule::edge::json::Json::parse(configuration).unwrap()
    );
    assert_eq!(item.tags.get("owner").map(String::as_str), Some("team"));
}

#[tokio::test]
async fn empty_history_is_an_error_not_a_verdict() {
    let rule = mock!(aws_sdk_config::Client::get_resource_config_history)
        .then_output(|| GetResourceConfigHistoryOutput::builder().build());
    let service = AwsAccount::with_clients(
        Some(mock_client!(aws_sdk_config, RuleMode::Sequential, [&rule])),
        None,
        None,
    );
    let error = service
        .latest_item(&cluster_key(), Timestamp::from_secs(0))
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
                .r#type(CertificateAuthorityType::Subordinate)
                .set_not_after(not_after.map(DateTime::from_secs))
                .build(),
        )
        .build()
}

async fn health_for(rule: aws_smithy_mocks::Rule) -> Result<CaHealth, msk_mtls_rule::RuleError> {
    described(rule).await.map(|described| described.health)
}

async fn described(
    rule: aws_smithy_mocks::Rule,
) -> Result<CaDescription, msk_mtls_rule::RuleError> {
    // Retries are the SDK's own; without them a throttled answer fails at once, not after backoff.
    let client = mock_client!(aws_sdk_acmpca, RuleMode::Sequential, [&rule], |config| {
        config.retry_config(aws_config::retry::RetryConfig::disabled())
    });
    AwsAccount::with_clients(None, Some(client), None)
        .describe(CA)
        .await
}

async fn issuers_for(rule: aws_smithy_mocks::Rule) -> Result<Issuers, msk_mtls_rule::RuleError> {
    let client = mock_client!(aws_sdk_acmpca, RuleMode::Sequential, [&rule], |config| {
        config.retry_config(aws_config::retry::RetryConfig::disabled())
    });
    AwsAccount::with_clients(None, Some(client), None)
        .issuers(CA)
        .await
}

#[tokio::test]
async fn a_cas_type_and_usage_mode_are_read_and_unrecorded_ones_are_never_the_safe_reading() {
    let with = |kind: Option<CertificateAuthorityType>,
                usage: Option<CertificateAuthorityUsageMode>| {
        mock!(aws_sdk_acmpca::Client::describe_certificate_authority).then_output(move || {
            DescribeCertificateAuthorityOutput::builder()
                .certificate_authority(
                    CertificateAuthority::builder()
                        .arn(CA)
                        .status(CertificateAuthorityStatus::Active)
                        .set_type(kind.clone())
                        .set_usage_mode(usage.clone())
                        .build(),
                )
                .build()
        })
    };
    let profile = |kind, usage| Some(CaProfile { kind, usage });
    let cases = [
        (
            with(
                Some(CertificateAuthorityType::Root),
                Some(CertificateAuthorityUsageMode::ShortLivedCertificate),
            ),
            profile(CaKind::Root, UsageMode::ShortLivedCertificate),
        ),
        (
            with(Some(CertificateAuthorityType::Subordinate), None),
            profile(CaKind::Subordinate, UsageMode::GeneralPurpose),
        ),
        (
            with(
                None,
                Some(CertificateAuthorityUsageMode::from("LONG_LIVED")),
            ),
            profile(
                CaKind::Unknown("unrecorded".into()),
                UsageMode::Unknown("LONG_LIVED".into()),
            ),
        ),
        (
            with(
                Some(CertificateAuthorityType::from("INTERMEDIATE")),
                Some(CertificateAuthorityUsageMode::GeneralPurpose),
            ),
            profile(
                CaKind::Unknown("INTERMEDIATE".into()),
                UsageMode::GeneralPurpose,
            ),
        ),
    ];
    for (rule, expected) in cases {
        assert_eq!(described(rule).await.unwrap().profile, expected);
    }
    let missing = mock!(aws_sdk_acmpca::Client::describe_certificate_authority).then_error(|| {
        DescribeCertificateAuthorityError::ResourceNotFoundException(
            aws_sdk_acmpca::types::error::ResourceNotFoundException::builder().build(),
        )
    });
    assert_eq!(described(missing).await.unwrap().profile, None);
}

#[tokio::test]
async fn a_cas_policy_names_who_else_can_issue_and_no_policy_is_nobody() {
    let policy = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"acm-pca:IssueCertificate","Resource":"*"}]}"#;
    let shared = mock!(aws_sdk_acmpca::Client::get_policy)
        .match_requests(|request| request.resource_arn() == Some(CA))
        .then_output(move || GetPolicyOutput::builder().policy(policy).build());
    assert_eq!(
        issuers_for(shared).await.unwrap(),
        Issuers::Known(["444455556666".to_owned()].into())
    );
    let none = mock!(aws_sdk_acmpca::Client::get_policy).then_error(|| {
        GetPolicyError::ResourceNotFoundException(
            aws_sdk_acmpca::types::error::ResourceNotFoundException::builder().build(),
        )
    });
    assert_eq!(
        issuers_for(none).await.unwrap(),
        Issuers::Known(Default::default())
    );
    let denied = mock!(aws_sdk_acmpca::Client::get_policy).then_error(|| {
        GetPolicyError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .build(),
        )
    });
    assert_eq!(
        issuers_for(denied).await.unwrap(),
        Issuers::Unknown("AccessDeniedException: needs acm-pca:GetPolicy".into())
    );
    let garbled = mock!(aws_sdk_acmpca::Client::get_policy)
        .then_output(|| GetPolicyOutput::builder().policy("{").build());
    assert!(
        matches!(issuers_for(garbled).await.unwrap(), Issuers::Unknown(reason) if reason.contains("not JSON"))
    );
    let throttled = mock!(aws_sdk_acmpca::Client::get_policy).then_error(|| {
        GetPolicyError::generic(ErrorMetadata::builder().code("ThrottlingException").build())
    });
    let error = issuers_for(throttled).await.unwrap_err();
    assert!(error.to_string().contains("GetPolicy"), "{error}");
}

#[tokio::test]
async fn ca_status_and_expiry_are_read() {
    let active = mock!(aws_sdk_acmpca::Client::describe_certificate_authority)
        .match_requests(|request| request.certificate_authority_arn() == Some(CA))
        .then_output(|| ca_answer(CertificateAuthorityStatus::Active, Some(2_000_000_000)));
    assert_eq!(
        health_for(active).await.unwrap(),
        CaHealth::Active {
            not_after: Some(Timestamp::from_secs(2_000_000_000))
        }
    );
    let disabled = mock!(aws_sdk_acmpca::Client::describe_certificate_authority)
        .then_output(|| ca_answer(CertificateAuthorityStatus::Disabled, Some(2_000_000_000)));
    assert_eq!(
        health_for(disabled).await.unwrap(),
        CaHealth::NotActive {
            status: CaStatus::Disabled
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

    let invalid = mock!(aws_sdk_acmpca::Client::describe_certificate_authority).then_error(|| {
        DescribeCertificateAuthorityError::InvalidArnException(
            aws_sdk_acmpca::types::error::InvalidArnException::builder().build(),
        )
    });
    assert_eq!(
        health_for(invalid).await.unwrap(),
        CaHealth::Unreadable {
            reason: "not a valid CA ARN".into()
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
    use msk_mtls_rule::aws::ports::KafkaService;
    use msk_mtls_rule::rule::facts::Cluster;
    use msk_mtls_rule::rule::params::SaslMechanism;

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
    let page = AwsAccount::with_clients(None, None, Some(kafka))
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
    assert_eq!(
        facts.client_broker,
        Some(msk_mtls_rule::rule::facts::ClientBroker::TlsPlaintext)
    );
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

/// The Kafka API's members, each absent, present without its flag, on or off.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    unauthenticated: Option<Option<bool>>,
    tls: Option<Option<bool>>,
    with_ca: bool,
    iam: Option<Option<bool>>,
    scram: Option<Option<bool>>,
    broker: Option<&'static str>,
    vpc_tls: Option<Option<bool>>,
    vpc_iam: Option<Option<bool>>,
    vpc_scram: Option<Option<bool>>,
    in_cluster: Option<bool>,
    public_access: Option<&'static str>,
    /// The revision of `CONFIGURATION` the brokers run; `None`: MSK's default configuration.
    configuration: Option<i64>,
    kafka_version: Option<&'static str>,
    instance_type: Option<&'static str>,
}

const CONFIGURATION: &str = "arn:aws:kafka:us-east-1:123456789012:configuration/tenants/abc-1";

const MTLS_ONLY: Knobs = Knobs {
    unauthenticated: Some(Some(false)),
    tls: Some(Some(true)),
    with_ca: true,
    iam: Some(Some(false)),
    scram: Some(Some(false)),
    broker: Some("TLS"),
    vpc_tls: Some(Some(true)),
    vpc_iam: Some(Some(false)),
    vpc_scram: Some(Some(false)),
    in_cluster: Some(true),
    public_access: Some("DISABLED"),
    configuration: None,
    kafka_version: Some("3.7.x.kraft"),
    instance_type: Some("kafka.m5.large"),
};

fn sdk_provisioned(k: Knobs) -> aws_sdk_kafka::types::Provisioned {
    use aws_sdk_kafka::types::*;
    let mut auth = ClientAuthentication::builder();
    if let Some(flag) = k.unauthenticated {
        auth = auth.unauthenticated(Unauthenticated::builder().set_enabled(flag).build());
    }
    if let Some(flag) = k.tls {
        let mut tls = Tls::builder().set_enabled(flag);
        if k.with_ca {
            tls = tls.certificate_authority_arn_list(CA);
        }
        auth = auth.tls(tls.build());
    }
    if k.iam.is_some() || k.scram.is_some() {
        let mut sasl = Sasl::builder();
        if let Some(flag) = k.iam {
            sasl = sasl.iam(Iam::builder().set_enabled(flag).build());
        }
        if let Some(flag) = k.scram {
            sasl = sasl.scram(Scram::builder().set_enabled(flag).build());
        }
        auth = auth.sasl(sasl.build());
    }
    let mut vpc_auth = VpcConnectivityClientAuthentication::builder();
    if let Some(flag) = k.vpc_tls {
        vpc_auth = vpc_auth.tls(VpcConnectivityTls::builder().set_enabled(flag).build());
    }
    if k.vpc_iam.is_some() || k.vpc_scram.is_some() {
        let mut sasl = VpcConnectivitySasl::builder();
        if let Some(flag) = k.vpc_iam {
            sasl = sasl.iam(VpcConnectivityIam::builder().set_enabled(flag).build());
        }
        if let Some(flag) = k.vpc_scram {
            sasl = sasl.scram(VpcConnectivityScram::builder().set_enabled(flag).build());
        }
        vpc_auth = vpc_auth.sasl(sasl.build());
    }
    let mut in_transit = EncryptionInTransit::builder();
    if let Some(mode) = k.broker {
        in_transit = in_transit.client_broker(ClientBroker::from(mode));
    }
    in_transit = in_transit.set_in_cluster(k.in_cluster);
    let public = k
        .public_access
        .map(|kind| PublicAccess::builder().r#type(kind).build());
    let software = (k.configuration.is_some() || k.kafka_version.is_some()).then(|| {
        BrokerSoftwareInfo::builder()
            .set_configuration_arn(k.configuration.map(|_| CONFIGURATION.to_owned()))
            .set_configuration_revision(k.configuration)
            .set_kafka_version(k.kafka_version.map(str::to_owned))
            .build()
    });
    Provisioned::builder()
        .set_current_broker_software_info(software)
        .client_authentication(auth.build())
        .encryption_info(
            EncryptionInfo::builder()
                .encryption_in_transit(in_transit.build())
                .build(),
        )
        .broker_node_group_info(
            BrokerNodeGroupInfo::builder()
                .set_instance_type(k.instance_type.map(str::to_owned))
                .connectivity_info(
                    ConnectivityInfo::builder()
                        .set_public_access(public)
                        .vpc_connectivity(
                            VpcConnectivity::builder()
                                .client_authentication(vpc_auth.build())
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

/// The same settings as a Config item records them (camelCase, as the Kafka API writes JSON).
fn config_json(k: Knobs) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let toggle = |flag: Option<bool>| match flag {
        Some(flag) => json!({"enabled": flag}),
        None => json!({}),
    };
    let mut auth = Map::new();
    if let Some(flag) = k.unauthenticated {
        auth.insert("unauthenticated".into(), toggle(flag));
    }
    if let Some(flag) = k.tls {
        let mut tls = Map::new();
        if let Some(flag) = flag {
            tls.insert("enabled".into(), json!(flag));
        }
        if k.with_ca {
            tls.insert("certificateAuthorityArnList".into(), json!([CA]));
        }
        auth.insert("tls".into(), Value::Object(tls));
    }
    let sasl = |iam: Option<Option<bool>>, scram: Option<Option<bool>>| {
        let mut sasl = Map::new();
        if let Some(flag) = iam {
            sasl.insert("iam".into(), toggle(flag));
        }
        if let Some(flag) = scram {
            sasl.insert("scram".into(), toggle(flag));
        }
        (!sasl.is_empty()).then_some(Value::Object(sasl))
    };
    if let Some(sasl) = sasl(k.iam, k.scram) {
        auth.insert("sasl".into(), sasl);
    }
    let mut vpc_auth = Map::new();
    if let Some(flag) = k.vpc_tls {
        vpc_auth.insert("tls".into(), toggle(flag));
    }
    if let Some(sasl) = sasl(k.vpc_iam, k.vpc_scram) {
        vpc_auth.insert("sasl".into(), sasl);
    }
    let mut in_transit = Map::new();
    if let Some(mode) = k.broker {
        in_transit.insert("clientBroker".into(), json!(mode));
    }
    if let Some(flag) = k.in_cluster {
        in_transit.insert("inCluster".into(), json!(flag));
    }
    let mut connectivity = Map::new();
    if let Some(kind) = k.public_access {
        connectivity.insert("publicAccess".into(), json!({ "type": kind }));
    }
    connectivity.insert(
        "vpcConnectivity".into(),
        json!({ "clientAuthentication": vpc_auth }),
    );
    let mut item = json!({
        "clientAuthentication": auth,
        "encryptionInfo": {"encryptionInTransit": in_transit},
        "brokerNodeGroupInfo": {"connectivityInfo": connectivity},
    });
    if let Some(revision) = k.configuration {
        item["configurationInfo"] = json!({"arn": CONFIGURATION, "revision": revision});
    }
    if let Some(version) = k.kafka_version {
        item["currentBrokerSoftwareInfo"] = json!({ "kafkaVersion": version });
    }
    if let Some(kind) = k.instance_type {
        item["brokerNodeGroupInfo"]["instanceType"] = json!(kind);
    }
    item
}

#[test]
fn every_kafka_api_member_that_matters_maps_like_the_config_item_on_and_off() {
    use msk_mtls_rule::edge::configuration::read_facts_from_value;
    use msk_mtls_rule::rule::ca::CaHealthReport;
    use msk_mtls_rule::rule::checks::Finding;
    use msk_mtls_rule::rule::facts::ClientBroker;
    use msk_mtls_rule::rule::params::{RuleParams, SaslMechanism};
    use msk_mtls_rule::rule::verdict::evaluate;
    use std::collections::BTreeSet;

    let flags = [None, Some(None), Some(Some(true)), Some(Some(false))];
    let mut cases = vec![("mTLS only", MTLS_ONLY)];
    for flag in flags {
        cases.push((
            "unauthenticated",
            Knobs {
                unauthenticated: flag,
                ..MTLS_ONLY
            },
        ));
        cases.push((
            "tls",
            Knobs {
                tls: flag,
                ..MTLS_ONLY
            },
        ));
        cases.push((
            "iam",
            Knobs {
                iam: flag,
                ..MTLS_ONLY
            },
        ));
        cases.push((
            "scram",
            Knobs {
                scram: flag,
                ..MTLS_ONLY
            },
        ));
        cases.push((
            "vpc tls",
            Knobs {
                vpc_tls: flag,
                ..MTLS_ONLY
            },
        ));
        cases.push((
            "vpc iam",
            Knobs {
                vpc_iam: flag,
                ..MTLS_ONLY
            },
        ));
        cases.push((
            "vpc scram",
            Knobs {
                vpc_scram: flag,
                ..MTLS_ONLY
            },
        ));
    }
    for broker in [None, Some("TLS"), Some("TLS_PLAINTEXT"), Some("PLAINTEXT")] {
        cases.push((
            "client broker",
            Knobs {
                broker,
                ..MTLS_ONLY
            },
        ));
    }
    for in_cluster in [None, Some(true), Some(false)] {
        cases.push((
            "in cluster",
            Knobs {
                in_cluster,
                ..MTLS_ONLY
            },
        ));
    }
    for public_access in [None, Some("DISABLED"), Some("SERVICE_PROVIDED_EIPS")] {
        cases.push((
            "public access",
            Knobs {
                public_access,
                ..MTLS_ONLY
            },
        ));
    }
    cases.push((
        "no CA",
        Knobs {
            with_ca: false,
            ..MTLS_ONLY
        },
    ));
    cases.push((
        "configuration",
        Knobs {
            configuration: Some(3),
            ..MTLS_ONLY
        },
    ));
    for kafka_version in [None, Some("3.7.x.kraft"), Some("3.6.0"), Some("4.0.x")] {
        for instance_type in [None, Some("kafka.m5.large"), Some("express.m7g.large")] {
            cases.push((
                "metadata",
                Knobs {
                    kafka_version,
                    instance_type,
                    ..MTLS_ONLY
                },
            ));
        }
    }
    let mut distinct = BTreeSet::new();
    for (name, knobs) in &cases {
        let from_sdk =
            msk_mtls_rule::edge::kafka::recorded_access(CLUSTER, Some(&sdk_provisioned(*knobs)))
                .unwrap()
                .resolve(BTreeSet::new());
        let from_item = read_facts_from_value(config_json(*knobs), []).unwrap();
        assert_eq!(from_sdk, from_item, "{name}: {knobs:?}");
        distinct.insert(format!("{from_sdk:?}"));
    }
    // every member moves the facts: no member is dropped on the way
    assert!(distinct.len() >= 14, "{} distinct facts", distinct.len());

    let params = RuleParams {
        check_certificate_authority_status: false,
        ..RuleParams::default()
    };
    let verdict = |knobs: Knobs| {
        let facts =
            msk_mtls_rule::edge::kafka::recorded_access(CLUSTER, Some(&sdk_provisioned(knobs)))
                .unwrap()
                .resolve(BTreeSet::new());
        evaluate(&msk_mtls_rule::rule::checks::Inputs {
            cluster: &msk_mtls_rule::rule::facts::Cluster::Provisioned(facts),
            params: &params,
            cas: &CaHealthReport::new(),
            resource_id: "",
            trust: &msk_mtls_rule::rule::ca::CaTrust::default(),
            configurations: &Default::default(),
            zookeeper: None,
            used_by: &Default::default(),
            now: Timestamp::from_secs(1_700_000_000),
        })
    };
    assert_eq!(verdict(MTLS_ONLY).compliance, ComplianceType::Compliant);
    // AWS's own procedure gives the Tls block a CA list and no `Enabled`: on.
    let documented = Knobs {
        tls: Some(None),
        ..MTLS_ONLY
    };
    assert_eq!(verdict(documented).compliance, ComplianceType::Compliant);
    let open = verdict(Knobs {
        unauthenticated: Some(Some(true)),
        ..MTLS_ONLY
    });
    assert_eq!(open.compliance, ComplianceType::NonCompliant);
    assert_eq!(
        open.findings,
        vec![Finding::UnauthenticatedAccess(Default::default())]
    );
    for (knobs, finding) in [
        (
            Knobs {
                unauthenticated: Some(None),
                ..MTLS_ONLY
            },
            Finding::UnauthenticatedAccess(Default::default()),
        ),
        (
            Knobs {
                tls: Some(Some(false)),
                ..MTLS_ONLY
            },
            Finding::TlsClientAuthenticationDisabled,
        ),
        (
            Knobs {
                tls: Some(None),
                with_ca: false,
                ..MTLS_ONLY
            },
            Finding::TlsClientAuthenticationDisabled,
        ),
        (
            Knobs {
                iam: Some(Some(true)),
                ..MTLS_ONLY
            },
            Finding::SaslNotAllowed(SaslMechanism::Iam, Default::default()),
        ),
        (
            Knobs {
                scram: Some(None),
                ..MTLS_ONLY
            },
            Finding::SaslNotAllowed(SaslMechanism::Scram, Default::default()),
        ),
        (
            Knobs {
                vpc_iam: Some(Some(true)),
                ..MTLS_ONLY
            },
            Finding::MultiVpcSaslNotAllowed(SaslMechanism::Iam, Default::default()),
        ),
        (
            Knobs {
                vpc_scram: Some(Some(true)),
                ..MTLS_ONLY
            },
            Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram, Default::default()),
        ),
        (
            Knobs {
                broker: Some("TLS_PLAINTEXT"),
                ..MTLS_ONLY
            },
            Finding::PlaintextListener {
                client_broker: Some(ClientBroker::TlsPlaintext),
            },
        ),
        (
            Knobs {
                broker: None,
                ..MTLS_ONLY
            },
            Finding::PlaintextListener {
                client_broker: None,
            },
        ),
        (
            Knobs {
                with_ca: false,
                ..MTLS_ONLY
            },
            Finding::NoCertificateAuthority,
        ),
    ] {
        let verdict = verdict(knobs);
        assert!(
            verdict.findings.contains(&finding),
            "{knobs:?}: {:?}",
            verdict.findings
        );
        assert_eq!(verdict.compliance, ComplianceType::NonCompliant);
    }
}

#[test]
fn an_unknown_client_broker_or_cluster_type_is_an_error_not_a_verdict() {
    use aws_sdk_kafka::types::{ClientBroker, EncryptionInTransit, EncryptionInfo, Provisioned};
    let provisioned = Provisioned::builder()
        .encryption_info(
            EncryptionInfo::builder()
                .encryption_in_transit(
                    EncryptionInTransit::builder()
                        .client_broker(ClientBroker::from("QUIC"))
                        .build(),
                )
                .build(),
        )
        .build();
    let error =
        msk_mtls_rule::edge::kafka::recorded_access(CLUSTER, Some(&provisioned)).unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(error.to_string().contains("\"QUIC\""), "{error}");
    let public = Knobs {
        public_access: Some("SERVICE_PROVIDED_IPV6"),
        ..MTLS_ONLY
    };
    let error =
        msk_mtls_rule::edge::kafka::recorded_access(CLUSTER, Some(&sdk_provisioned(public)))
            .unwrap_err();
    assert!(
        error.to_string().contains("SERVICE_PROVIDED_IPV6"),
        "{error}"
    );
}

#[tokio::test]
async fn a_service_error_is_reported_by_its_code_and_message() {
    use aws_sdk_kafka::operation::list_clusters_v2::ListClustersV2Error;
    use msk_mtls_rule::aws::ports::KafkaService;

    let denied = mock!(aws_sdk_kafka::Client::list_clusters_v2).then_error(|| {
        ListClustersV2Error::generic(
            aws_sdk_kafka::error::ErrorMetadata::builder()
                .code("UnrecognizedClientException")
                .message("The security token included in the request is invalid.")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&denied]);
    let error = AwsAccount::with_clients(None, None, Some(client))
        .list_clusters(None)
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "AWS ListClustersV2 failed: UnrecognizedClientException: The security token included in the request is invalid."
    );
}

/// What STS, SNS, Organizations and MSK are asked, and the scripted answers, over an SDK
/// configuration: the clients the account builds itself are built from it.
mod over_http {
    use std::sync::{Arc, Mutex};

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
        SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_types::body::SdkBody;
    use msk_mtls_rule::aws::ports::{Accounts, Directory, Message, Notifier};
    use msk_mtls_rule::aws::sdk::AwsAccount;

    /// Each request's action (from its form body, its JSON target header, or MSK's REST path) with
    /// its body and signing key id, answered from the script by action.
    #[derive(Clone, Debug, Default)]
    struct Script {
        answers: Vec<(&'static str, u16, String)>,
        seen: Arc<Mutex<Vec<(String, String, String)>>>,
        hosts: Arc<Mutex<Vec<String>>>,
    }

    impl HttpConnector for Script {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let body =
                String::from_utf8(request.body().bytes().unwrap_or_default().to_vec()).unwrap();
            // The query protocol names the action in the form, the JSON protocol in a header.
            let action = body
                .split('&')
                .find_map(|pair| pair.strip_prefix("Action="))
                .or_else(|| {
                    request
                        .headers()
                        .get("x-amz-target")
                        .and_then(|target| target.rsplit('.').next())
                })
                // MSK's REST protocol names it by its path.
                .or_else(|| {
                    let uri = request.uri();
                    if uri.ends_with("/bootstrap-brokers") {
                        Some("GetBootstrapBrokers")
                    } else {
                        uri.contains("/api/v2/clusters/")
                            .then_some("DescribeClusterV2")
                    }
                })
                .unwrap_or_default()
                .to_owned();
            let key_id = request
                .headers()
                .get("authorization")
                .and_then(|value| value.split("Credential=").nth(1))
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_default()
                .to_owned();
            self.seen
                .lock()
                .unwrap()
                .push((action.clone(), body, key_id));
            self.hosts.lock().unwrap().push(
                request
                    .uri()
                    .split('/')
                    .nth(2)
                    .unwrap_or_default()
                    .to_owned(),
            );
            let (status, answer) = self
                .answers
                .iter()
                .find(|(name, _, _)| *name == action)
                .map(|(_, status, answer)| (*status, answer.clone()))
                .unwrap_or_else(|| panic!("no scripted answer for {action}"));
            HttpConnectorFuture::ready(Ok(HttpResponse::new(
                status.try_into().unwrap(),
                SdkBody::from(answer),
            )))
        }
    }

    impl HttpClient for Script {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    fn account(script: &Script) -> AwsAccount {
        AwsAccount::with_sdk_config(
            SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                    "AKIDFUNCTION",
                    "secret",
                    None,
                    None,
                    "test",
                )))
                .http_client(SharedHttpClient::new(script.clone()))
                .build(),
        )
    }

    fn caller_answer(account: &str, arn: &str) -> String {
        format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AIDA</UserId><Account>{account}</Account>\
             </GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
             </GetCallerIdentityResponse>"
        )
    }

    #[tokio::test]
    async fn the_caller_is_a_12_digit_account_and_its_partition() {
        for (account_id, arn, expected) in [
            (
                "123456789012",
                "arn:aws-cn:sts::123456789012:assumed-role/a/b",
                Ok(("123456789012", "aws-cn")),
            ),
            (
                "12345678901",
                "arn:aws:sts::12345678901:user/x",
                Err("12-digit"),
            ),
            (
                "12345678901x",
                "arn:aws:sts::12345678901x:user/x",
                Err("12-digit"),
            ),
            ("123456789012", "not-an-arn", Err("partition")),
            (
                "123456789012",
                "arn:gcp:sts::123456789012:user/x",
                Err("partition"),
            ),
        ] {
            let script = Script {
                answers: vec![("GetCallerIdentity", 200, caller_answer(account_id, arn))],
                ..Script::default()
            };
            let aws = account(&script);
            match expected {
                Ok((id, partition)) => {
                    let caller = aws.caller().await.unwrap();
                    assert_eq!(
                        (caller.account.as_str(), caller.partition.as_str()),
                        (id, partition)
                    );
                    assert_eq!(aws.own_account().await.unwrap(), id);
                }
                Err(named) => {
                    let error = aws.caller().await.unwrap_err().to_string();
                    assert!(error.contains(named), "{arn}: {error}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_role_assumed_signs_every_later_call_with_its_own_key() {
        let script = Script {
            answers: vec![
                (
                    "AssumeRole",
                    200,
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
                     <Credentials><AccessKeyId>ASIAMEMBER</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
                     <SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>\
                     <AssumedRoleUser><Arn>arn:aws:sts::210987654321:assumed-role/member/s</Arn>\
                     <AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>\
                     </AssumeRoleResponse>"
                        .to_owned(),
                ),
                (
                    "GetCallerIdentity",
                    200,
                    caller_answer("210987654321", "arn:aws:sts::210987654321:assumed-role/member/s"),
                ),
            ],
            ..Script::default()
        };
        let member = account(&script)
            .assume_role("arn:aws:iam::210987654321:role/member")
            .await
            .unwrap();
        assert_eq!(member.own_account().await.unwrap(), "210987654321");
        let member_in_ireland = member.in_region("eu-west-1").await;
        assert_eq!(
            member_in_ireland.home_region().await.as_deref(),
            Some("eu-west-1")
        );
        member_in_ireland.own_account().await.unwrap();
        assert_eq!(
            script.hosts.lock().unwrap().last().map(String::as_str),
            Some("sts.eu-west-1.amazonaws.com")
        );
        let seen = script.seen.lock().unwrap().clone();
        assert_eq!(seen[0].0, "AssumeRole");
        assert!(
            seen[0]
                .1
                .contains("RoleArn=arn%3Aaws%3Aiam%3A%3A210987654321%3Arole%2Fmember"),
            "{}",
            seen[0].1
        );
        assert_eq!(seen[0].2, "AKIDFUNCTION");
        assert_eq!(
            (seen[1].0.as_str(), seen[1].2.as_str()),
            ("GetCallerIdentity", "ASIAMEMBER")
        );
        assert_eq!(
            seen[2].2, "ASIAMEMBER",
            "the role's key in the other region too"
        );
    }

    fn assume_role_answer(expiration: &str) -> String {
        format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
             <Credentials><AccessKeyId>ASIAMEMBER</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
             <SessionToken>t</SessionToken><Expiration>{expiration}</Expiration></Credentials>\
             <AssumedRoleUser><Arn>arn:aws:sts::210987654321:assumed-role/member/s</Arn>\
             <AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>\
             </AssumeRoleResponse>"
        )
    }

    /// A long audit outlives a role's session: credentials with less than five minutes left are
    /// assumed again before the next call, in every region of the account; fresh ones are not.
    #[tokio::test]
    async fn a_roles_credentials_are_assumed_again_when_they_near_their_expiry() {
        let soon = aws_smithy_types::DateTime::from(
            std::time::SystemTime::now() + std::time::Duration::from_secs(240),
        )
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
        for (expiration, assumed) in [(soon.as_str(), 3), ("2030-01-01T00:00:00Z", 1)] {
            let script = Script {
                answers: vec![
                    ("AssumeRole", 200, assume_role_answer(expiration)),
                    (
                        "GetCallerIdentity",
                        200,
                        caller_answer(
                            "210987654321",
                            "arn:aws:sts::210987654321:assumed-role/member/s",
                        ),
                    ),
                ],
                ..Script::default()
            };
            let member = account(&script)
                .assume_role("arn:aws:iam::210987654321:role/member")
                .await
                .unwrap();
            member.own_account().await.unwrap();
            member
                .in_region("eu-west-1")
                .await
                .own_account()
                .await
                .unwrap();
            let seen = script.seen.lock().unwrap().clone();
            let actions: Vec<(&str, &str)> = seen
                .iter()
                .map(|(action, _, key)| (action.as_str(), key.as_str()))
                .collect();
            assert_eq!(
                actions
                    .iter()
                    .filter(|(action, _)| *action == "AssumeRole")
                    .count(),
                assumed,
                "expiring {expiration}: {actions:?}"
            );
            // Renewed with the caller's own key; the calls signed with the role's.
            assert!(actions
                .iter()
                .all(|(action, key)| (*action == "AssumeRole") == (*key == "AKIDFUNCTION")));
        }
    }

    #[tokio::test]
    async fn the_organizations_accounts_are_read_with_their_state_page_by_page() {
        let script = Script {
            answers: vec![(
                "ListAccounts",
                200,
                r#"{"Accounts":[{"Id":"111111111111","State":"ACTIVE","Status":"ACTIVE"},
                                 {"Id":"222222222222","Status":"SUSPENDED"}],"NextToken":"n2"}"#
                    .to_owned(),
            )],
            ..Script::default()
        };
        let page = account(&script)
            .organization_accounts(Some("n1".into()))
            .await
            .unwrap();
        assert_eq!(
            page.items,
            [
                msk_mtls_rule::aws::ports::MemberAccount {
                    id: "111111111111".into(),
                    state: Some("ACTIVE".into())
                },
                msk_mtls_rule::aws::ports::MemberAccount {
                    id: "222222222222".into(),
                    state: Some("SUSPENDED".into())
                },
            ]
        );
        assert_eq!(page.next_token.as_deref(), Some("n2"));
        let request = &script.seen.lock().unwrap()[0].1;
        assert!(request.contains(r#""NextToken":"n1""#), "{request}");
    }

    /// A cluster's endpoints come from GetBootstrapBrokers in the cluster's own region.
    #[tokio::test]
    async fn a_clusters_endpoints_are_asked_of_its_own_region() {
        use msk_mtls_rule::probe::endpoints::{Endpoint, Listener, Network};
        use msk_mtls_rule::probe::Target;
        use msk_mtls_rule::rule::arn::ClusterArn;
        const ARN: &str = "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/u-1";
        let script = Script {
            answers: vec![
                (
                    "GetBootstrapBrokers",
                    200,
                    r#"{"bootstrapBrokerStringTls":"b-1.orders:9094,b-2.orders:9094"}"#.to_owned(),
                ),
                (
                    "DescribeClusterV2",
                    200,
                    format!(
                        r#"{{"clusterInfo":{{"clusterArn":"{ARN}","clusterType":"PROVISIONED","provisioned":{{
                    "zookeeperConnectString":"z-2.orders:2181,z-1.orders:2181",
                    "zookeeperConnectStringTls":"z-1.orders:2182","numberOfBrokerNodes":2}}}}}}"#
                    ),
                ),
            ],
            ..Script::default()
        };
        let selected = msk_mtls_rule::probe::run::endpoints_of(
            &account(&script),
            &Target::Cluster(ClusterArn::parse(ARN).unwrap()),
            &Network::ALL,
        )
        .await
        .unwrap();
        assert!(selected.not_knocked.is_empty());
        let endpoint = |host: &str, port, listener| Endpoint {
            host: host.into(),
            port,
            listener,
        };
        assert_eq!(
            selected.endpoints,
            [
                endpoint("b-1.orders", 9094, Listener::Tls),
                endpoint("b-2.orders", 9094, Listener::Tls),
                endpoint("z-1.orders", 2181, Listener::ZooKeeper),
                endpoint("z-1.orders", 2182, Listener::ZooKeeperTls),
                endpoint("z-2.orders", 2181, Listener::ZooKeeper),
            ],
            "the brokers and a ZooKeeper-mode cluster's ZooKeeper nodes"
        );
        assert_eq!(
            script.hosts.lock().unwrap().as_slice(),
            [
                "kafka.eu-west-1.amazonaws.com",
                "kafka.eu-west-1.amazonaws.com"
            ]
        );
        let without = msk_mtls_rule::probe::run::endpoints_of(
            &account(&script),
            &Target::Cluster(ClusterArn::parse(ARN).unwrap()),
            &[Network::Public],
        )
        .await
        .unwrap();
        assert_eq!(
            without.not_knocked,
            [(Network::Private, 5)],
            "ZooKeeper's nodes are private endpoints, counted when left out"
        );

        let refused = Script {
            answers: vec![
                (
                    "GetBootstrapBrokers",
                    403,
                    r#"{"message":"not allowed"}"#.to_owned(),
                ),
                ("DescribeClusterV2", 200, "{}".to_owned()),
            ],
            ..Script::default()
        };
        let error = msk_mtls_rule::probe::run::endpoints_of(
            &account(&refused),
            &Target::Cluster(ClusterArn::parse(ARN).unwrap()),
            &Network::ALL,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("probe: ") && error.contains("GetBootstrapBrokers failed"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn an_alert_is_published_with_its_subject_and_attributes_and_a_refusal_is_an_error() {
        let published =
            "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>\
                         <MessageId>m</MessageId></PublishResult></PublishResponse>";
        let denied = "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>\
                      <Code>AuthorizationError</Code><Message>not allowed</Message></Error></ErrorResponse>";
        let message = Message {
            subject: "MSK cluster orders lets clients in without mTLS".into(),
            body: "body".into(),
            attributes: vec![("owner".into(), "payments".into())],
        };
        let topic = "arn:aws:sns:us-east-1:123456789012:alerts";
        let script = Script {
            answers: vec![("Publish", 200, published.to_owned())],
            ..Script::default()
        };
        account(&script).publish(topic, &message).await.unwrap();
        let body = script.seen.lock().unwrap()[0].1.clone();
        for part in [
            "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts",
            "Subject=MSK%20cluster%20orders",
            "Message=body",
            "MessageAttributes.entry.1.Name=owner",
            "MessageAttributes.entry.1.Value.StringValue=payments",
            "MessageAttributes.entry.1.Value.DataType=String",
        ] {
            assert!(body.contains(part), "{part} in {body}");
        }
        let refusing = Script {
            answers: vec![("Publish", 403, denied.to_owned())],
            ..Script::default()
        };
        let error = account(&refusing)
            .publish(topic, &message)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("AuthorizationError"), "{error}");
    }
}

fn rule_result(
    rule: &str,
    compliance: aws_sdk_config::types::ComplianceType,
    annotation: Option<&str>,
) -> aws_sdk_config::types::EvaluationResult {
    use aws_sdk_config::types::{
        EvaluationResult, EvaluationResultIdentifier, EvaluationResultQualifier,
    };
    EvaluationResult::builder()
        .evaluation_result_identifier(
            EvaluationResultIdentifier::builder()
                .evaluation_result_qualifier(
                    EvaluationResultQualifier::builder()
                        .config_rule_name(rule)
                        .resource_type("AWS::MSK::Cluster")
                        .resource_id(format!(
                            "arn:aws:kafka:us-east-1:123456789012:cluster/{rule}/u-1"
                        ))
                        .build(),
                )
                .build(),
        )
        .compliance_type(compliance)
        .set_annotation(annotation.map(str::to_owned))
        .build()
}

/// The rule's own held result, found on a later page behind another rule's; every type Config
/// holds maps to the rule's, INSUFFICIENT_DATA to none.
#[tokio::test]
async fn the_held_result_is_this_rules_on_any_page() {
    use aws_sdk_config::operation::get_compliance_details_by_resource::GetComplianceDetailsByResourceOutput;
    use aws_sdk_config::types::ComplianceType as Sdk;
    use msk_mtls_rule::rule::evaluation::ComplianceType;
    let resource = ResourceKey {
        resource_type: msk_mtls_rule::rule::evaluation::ResourceType::MskCluster,
        resource_id: "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1".into(),
    };
    for (sdk, expected) in [
        (Sdk::Compliant, Some(ComplianceType::Compliant)),
        (Sdk::NonCompliant, Some(ComplianceType::NonCompliant)),
        (Sdk::NotApplicable, Some(ComplianceType::NotApplicable)),
        (Sdk::InsufficientData, None),
    ] {
        let first = mock!(aws_sdk_config::Client::get_compliance_details_by_resource)
            .match_requests(|request| request.next_token().is_none())
            .then_output(|| {
                GetComplianceDetailsByResourceOutput::builder()
                    .evaluation_results(rule_result(
                        "another-rule",
                        Sdk::NonCompliant,
                        Some("theirs"),
                    ))
                    .next_token("page-2")
                    .build()
            });
        let expected_sdk = sdk.clone();
        let second = mock!(aws_sdk_config::Client::get_compliance_details_by_resource)
            .match_requests(|request| request.next_token() == Some("page-2"))
            .then_output(move || {
                GetComplianceDetailsByResourceOutput::builder()
                    .evaluation_results(rule_result("msk-mtls", expected_sdk.clone(), Some("ours")))
                    .build()
            });
        let config = mock_client!(aws_sdk_config, RuleMode::Sequential, [&first, &second]);
        let held = AwsAccount::with_clients(Some(config), None, None)
            .held_result("msk-mtls", &resource)
            .await
            .unwrap();
        assert_eq!(held.as_ref().map(|h| h.compliance), expected, "{sdk:?}");
        if expected.is_some() {
            assert_eq!(held.unwrap().annotation.as_deref(), Some("ours"));
        }
    }
    let only_theirs = mock!(aws_sdk_config::Client::get_compliance_details_by_resource)
        .then_output(|| {
            GetComplianceDetailsByResourceOutput::builder()
                .evaluation_results(rule_result("another-rule", Sdk::NonCompliant, None))
                .build()
        });
    let config = mock_client!(aws_sdk_config, RuleMode::Sequential, [&only_theirs]);
    assert_eq!(
        AwsAccount::with_clients(Some(config), None, None)
            .held_result("msk-mtls", &resource)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn the_rules_results_are_read_with_their_resource_and_page_token() {
    use aws_sdk_config::operation::get_compliance_details_by_config_rule::GetComplianceDetailsByConfigRuleOutput;
    use aws_sdk_config::types::ComplianceType as Sdk;
    let page = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .match_requests(|request| {
            request.config_rule_name() == Some("msk-mtls") && request.next_token() == Some("p1")
        })
        .then_output(|| {
            GetComplianceDetailsByConfigRuleOutput::builder()
                .evaluation_results(rule_result(
                    "msk-mtls",
                    Sdk::NonCompliant,
                    Some("open (since 2026-01-01T00:00:00Z)"),
                ))
                .next_token("p2")
                .build()
        });
    let config = mock_client!(aws_sdk_config, RuleMode::Sequential, [&page]);
    let held = AwsAccount::with_clients(Some(config), None, None)
        .evaluated_resources("msk-mtls", Some("p1".into()))
        .await
        .unwrap();
    assert_eq!(held.next_token.as_deref(), Some("p2"));
    assert_eq!(held.items.len(), 1);
    assert_eq!(
        held.items[0].key.resource_id,
        "arn:aws:kafka:us-east-1:123456789012:cluster/msk-mtls/u-1"
    );
    assert_eq!(
        held.items[0].result.compliance,
        msk_mtls_rule::rule::evaluation::ComplianceType::NonCompliant
    );
}

/// Every listener GetBootstrapBrokers names, by its member name; an empty string is no listener.
#[tokio::test]
async fn bootstrap_brokers_are_named_by_their_member_and_empty_ones_left_out() {
    use aws_sdk_kafka::operation::get_bootstrap_brokers::GetBootstrapBrokersOutput;
    use msk_mtls_rule::aws::ports::Brokers;
    const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1";
    let answer = mock!(aws_sdk_kafka::Client::get_bootstrap_brokers)
        .match_requests(|request| request.cluster_arn() == Some(ARN))
        .then_output(|| {
            GetBootstrapBrokersOutput::builder()
                .bootstrap_broker_string("")
                .bootstrap_broker_string_tls("b-1:9094,b-2:9094")
                .bootstrap_broker_string_vpc_connectivity_sasl_iam("v-1:14001")
                .build()
        });
    let kafka = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&answer]);
    assert_eq!(
        AwsAccount::with_clients(None, None, Some(kafka))
            .bootstrap_brokers(ARN)
            .await
            .unwrap(),
        [
            (
                "bootstrapBrokerStringTls".to_owned(),
                "b-1:9094,b-2:9094".to_owned()
            ),
            (
                "bootstrapBrokerStringVpcConnectivitySaslIam".to_owned(),
                "v-1:14001".to_owned()
            ),
        ]
    );
}

async fn revision_for(
    rule: aws_smithy_mocks::Rule,
) -> Result<msk_mtls_rule::rule::authorization::ConfigurationRead, msk_mtls_rule::RuleError> {
    use msk_mtls_rule::aws::ports::KafkaService;
    use msk_mtls_rule::rule::authorization::ConfigurationRevision;
    let kafka = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&rule], |config| {
        config.retry_config(aws_config::retry::RetryConfig::disabled())
    });
    AwsAccount::with_clients(None, None, Some(kafka))
        .configuration_revision(&ConfigurationRevision {
            arn: CONFIGURATION.into(),
            revision: 7,
        })
        .await
}

/// DescribeConfigurationRevision: the revision asked for, its `server.properties` bytes as sent
/// (the SDK decodes the base64); not found, forbidden or denied is a value that reads open; any
/// other error fails the call.
#[tokio::test]
async fn a_configuration_revision_is_read_and_one_that_cannot_be_is_a_value() {
    use aws_sdk_kafka::operation::describe_configuration_revision::{
        DescribeConfigurationRevisionError, DescribeConfigurationRevisionOutput,
    };
    use aws_sdk_kafka::primitives::Blob;
    use msk_mtls_rule::rule::authorization::ConfigurationRead;

    let read = mock!(aws_sdk_kafka::Client::describe_configuration_revision)
        .match_requests(|request| {
            request.arn() == Some(CONFIGURATION) && request.revision() == Some(7)
        })
        .then_output(|| {
            DescribeConfigurationRevisionOutput::builder()
                .arn(CONFIGURATION)
                .revision(7)
                .server_properties(Blob::new(
                    b"allow.everyone.if.no.acl.found=false\n".to_vec(),
                ))
                .build()
        });
    assert_eq!(
        revision_for(read).await.unwrap(),
        ConfigurationRead::Properties(b"allow.everyone.if.no.acl.found=false\n".to_vec())
    );
    let empty = mock!(aws_sdk_kafka::Client::describe_configuration_revision)
        .then_output(|| DescribeConfigurationRevisionOutput::builder().build());
    assert_eq!(
        revision_for(empty).await.unwrap(),
        ConfigurationRead::Unreadable("no serverProperties in the answer".into())
    );
    for code in [
        "NotFoundException",
        "ForbiddenException",
        "UnauthorizedException",
        "AccessDeniedException",
    ] {
        let refused =
            mock!(aws_sdk_kafka::Client::describe_configuration_revision).then_error(move || {
                DescribeConfigurationRevisionError::generic(
                    ErrorMetadata::builder().code(code).build(),
                )
            });
        assert_eq!(
            revision_for(refused).await.unwrap(),
            ConfigurationRead::Unreadable(code.into()),
            "{code}"
        );
    }
    let throttled =
        mock!(aws_sdk_kafka::Client::describe_configuration_revision).then_error(|| {
            DescribeConfigurationRevisionError::generic(
                ErrorMetadata::builder()
                    .code("TooManyRequestsException")
                    .build(),
            )
        });
    let error = revision_for(throttled).await.unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(
        error.to_string().contains("DescribeConfigurationRevision"),
        "{error}"
    );
}

/// ListClusterOperations, every page: only the operations that set ZooKeeper access are kept, with
/// their time, state and flag; one without a creation time is refused; not found or denied is a
/// value (never off), any other error fails the call.
#[tokio::test]
async fn zookeeper_changes_are_read_from_every_page_of_the_clusters_operations() {
    use aws_sdk_kafka::operation::list_cluster_operations::{
        ListClusterOperationsError, ListClusterOperationsOutput,
    };
    use aws_sdk_kafka::primitives::DateTime;
    use aws_sdk_kafka::types::{ClusterOperationInfo, MutableClusterInfo, ZookeeperAccess};
    use msk_mtls_rule::aws::ports::KafkaService;
    use msk_mtls_rule::rule::time::Timestamp;
    use msk_mtls_rule::rule::zookeeper::{OperationsRead, ZooKeeperChange};
    const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1";
    let operation = |secs: i64, state: &str, access: Option<Option<bool>>| {
        let mut target = MutableClusterInfo::builder().number_of_broker_nodes(3);
        if let Some(flag) = access {
            target = target.zookeeper_access(ZookeeperAccess::builder().set_enabled(flag).build());
        }
        ClusterOperationInfo::builder()
            .creation_time(DateTime::from_secs(secs))
            .operation_state(state)
            .target_cluster_info(target.build())
            .build()
    };
    let first = mock!(aws_sdk_kafka::Client::list_cluster_operations)
        .match_requests(|request| {
            request.cluster_arn() == Some(ARN)
                && request.next_token().is_none()
                && request.max_results() == Some(100)
        })
        .then_output(move || {
            ListClusterOperationsOutput::builder()
                .cluster_operation_info_list(operation(10, "UPDATE_COMPLETE", None))
                .cluster_operation_info_list(operation(20, "UPDATE_COMPLETE", Some(Some(false))))
                .next_token("p2")
                .build()
        });
    let second = mock!(aws_sdk_kafka::Client::list_cluster_operations)
        .match_requests(|request| request.next_token() == Some("p2"))
        .then_output(move || {
            ListClusterOperationsOutput::builder()
                .cluster_operation_info_list(operation(30, "UPDATE_FAILED", Some(Some(true))))
                .cluster_operation_info_list(operation(40, "UPDATE_COMPLETE", Some(None)))
                .build()
        });
    let kafka = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&first, &second]);
    let change = |secs: i64, completed, enabled| ZooKeeperChange {
        created: Timestamp::from_secs(secs),
        completed,
        enabled,
    };
    assert_eq!(
        AwsAccount::with_clients(None, None, Some(kafka))
            .zookeeper_changes(ARN)
            .await
            .unwrap(),
        OperationsRead::Changes(vec![
            change(20, true, Some(false)),
            change(30, false, Some(true)),
            change(40, true, None),
        ])
    );

    let untimed = mock!(aws_sdk_kafka::Client::list_cluster_operations).then_output(|| {
        ListClusterOperationsOutput::builder()
            .cluster_operation_info_list(
                ClusterOperationInfo::builder()
                    .operation_arn("op-1")
                    .operation_state("UPDATE_COMPLETE")
                    .target_cluster_info(
                        MutableClusterInfo::builder()
                            .zookeeper_access(ZookeeperAccess::builder().enabled(false).build())
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let kafka = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&untimed]);
    let error = AwsAccount::with_clients(None, None, Some(kafka))
        .zookeeper_changes(ARN)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("ListClusterOperations") && error.contains("without a creationTime"),
        "{error}"
    );

    let answer = |code: &'static str| {
        let rule = mock!(aws_sdk_kafka::Client::list_cluster_operations).then_error(move || {
            ListClusterOperationsError::generic(ErrorMetadata::builder().code(code).build())
        });
        let kafka = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&rule], |config| {
            config.retry_config(aws_config::retry::RetryConfig::disabled())
        });
        async move {
            AwsAccount::with_clients(None, None, Some(kafka))
                .zookeeper_changes(ARN)
                .await
        }
    };
    for code in [
        "NotFoundException",
        "ForbiddenException",
        "AccessDeniedException",
    ] {
        assert_eq!(
            answer(code).await.unwrap(),
            OperationsRead::Unreadable(code.into()),
            "{code}"
        );
    }
    let error = answer("TooManyRequestsException").await.unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(
        error.to_string().contains("ListClusterOperations"),
        "{error}"
    );
}

/// DescribeClusterV2's ZooKeeper connection strings, by their wire names; an empty one, or a KRaft
/// cluster's absent ones, are none.
#[tokio::test]
async fn zookeeper_nodes_are_read_from_describe_cluster_v2() {
    use aws_sdk_kafka::operation::describe_cluster_v2::DescribeClusterV2Output;
    use aws_sdk_kafka::types::{Cluster, ClusterType, Provisioned};
    use msk_mtls_rule::aws::ports::Brokers;
    const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1";
    let answer = |plaintext: &'static str, tls: Option<&'static str>| {
        mock!(aws_sdk_kafka::Client::describe_cluster_v2)
            .match_requests(|request| request.cluster_arn() == Some(ARN))
            .then_output(move || {
                DescribeClusterV2Output::builder()
                    .cluster_info(
                        Cluster::builder()
                            .cluster_arn(ARN)
                            .cluster_type(ClusterType::Provisioned)
                            .provisioned(
                                Provisioned::builder()
                                    .number_of_broker_nodes(3)
                                    .zookeeper_connect_string(plaintext)
                                    .set_zookeeper_connect_string_tls(tls.map(str::to_owned))
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            })
    };
    let nodes = |rule: aws_smithy_mocks::Rule| async move {
        let kafka = mock_client!(aws_sdk_kafka, RuleMode::Sequential, [&rule]);
        AwsAccount::with_clients(None, None, Some(kafka))
            .zookeeper_nodes(ARN)
            .await
            .unwrap()
    };
    assert_eq!(
        nodes(answer("z-1:2181,z-2:2181", Some("z-1:2182"))).await,
        [
            (
                "zookeeperConnectString".to_owned(),
                "z-1:2181,z-2:2181".to_owned()
            ),
            (
                "zookeeperConnectStringTls".to_owned(),
                "z-1:2182".to_owned()
            ),
        ]
    );
    assert_eq!(
        nodes(answer("", None)).await,
        Vec::<(String, String)>::new()
    );
}

/// Who uses a cluster's doors, through the SDK's Kafka types: replicators across pages with every
/// MSK cluster they name (one being deleted left out); clients' VPC connections with their SASL
/// mechanism (TLS and unknown values none, rejected ones left out); and a listing that fails is its
/// reason, never an error.
#[tokio::test]
async fn replicators_and_client_vpc_connections_are_read_from_every_page() {
    use aws_sdk_kafka::operation::get_bootstrap_brokers::GetBootstrapBrokersError;
    use aws_sdk_kafka::operation::list_client_vpc_connections::ListClientVpcConnectionsOutput;
    use aws_sdk_kafka::operation::list_replicators::ListReplicatorsOutput;
    use aws_sdk_kafka::types::{
        AmazonMskCluster, ClientVpcConnection as SdkConnection, KafkaClusterSummary,
        ReplicatorState, ReplicatorSummary, VpcConnectionState,
    };
    use msk_mtls_rule::aws::ports::KafkaService;
    use msk_mtls_rule::rule::doors::{ClientVpcConnection, Replicator};
    use msk_mtls_rule::rule::params::SaslMechanism;
    const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1";
    let replicator = |name: &str, state: ReplicatorState, arns: &[&str]| {
        ReplicatorSummary::builder()
            .replicator_name(name)
            .replicator_state(state)
            .set_kafka_clusters_summary(Some(
                arns.iter()
                    .map(|arn| {
                        KafkaClusterSummary::builder()
                            .amazon_msk_cluster(
                                AmazonMskCluster::builder().msk_cluster_arn(*arn).build(),
                            )
                            .build()
                    })
                    .collect(),
            ))
            .build()
    };
    let first = mock!(aws_sdk_kafka::Client::list_replicators)
        .match_requests(|request| {
            request.next_token().is_none() && request.max_results() == Some(100)
        })
        .then_output(move || {
            ListReplicatorsOutput::builder()
                .replicators(replicator(
                    "to-eu",
                    ReplicatorState::Running,
                    &[ARN, "arn:eu"],
                ))
                .next_token("p2")
                .build()
        });
    let second = mock!(aws_sdk_kafka::Client::list_replicators)
        .match_requests(|request| request.next_token() == Some("p2"))
        .then_output(move || {
            ListReplicatorsOutput::builder()
                .replicators(replicator("going", ReplicatorState::Deleting, &[ARN]))
                .build()
        });
    let connection = |id: &str, auth: &str, state: VpcConnectionState| {
        SdkConnection::builder()
            .vpc_connection_arn(format!(
                "arn:aws:kafka:us-east-1:444455556666:vpc-connection/123456789012/orders/{id}"
            ))
            .owner("444455556666")
            .authentication(auth)
            .state(state)
            .build()
    };
    let connections = mock!(aws_sdk_kafka::Client::list_client_vpc_connections)
        .match_requests(|request| {
            request.cluster_arn() == Some(ARN) && request.max_results() == Some(100)
        })
        .then_output(move || {
            ListClientVpcConnectionsOutput::builder()
                .client_vpc_connections(connection("a", "SASL_IAM", VpcConnectionState::Available))
                .client_vpc_connections(connection(
                    "b",
                    "SASL_SCRAM",
                    VpcConnectionState::Available,
                ))
                .client_vpc_connections(connection("c", "TLS", VpcConnectionState::Available))
                .client_vpc_connections(connection("d", "SASL_IAM", VpcConnectionState::Rejected))
                .build()
        });
    let denied = mock!(aws_sdk_kafka::Client::get_bootstrap_brokers).then_error(|| {
        GetBootstrapBrokersError::generic(
            aws_sdk_kafka::error::ErrorMetadata::builder()
                .code("ForbiddenException")
                .build(),
        )
    });
    let kafka = mock_client!(
        aws_sdk_kafka,
        RuleMode::Sequential,
        [&first, &second, &connections, &denied]
    );
    let account = AwsAccount::with_clients(None, None, Some(kafka));
    assert_eq!(
        account.replicators().await,
        Ok(vec![Replicator {
            name: "to-eu".into(),
            cluster_arns: vec![ARN.into(), "arn:eu".into()]
        }])
    );
    let listed = account.client_vpc_connections(ARN).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| (c.arn.rsplit('/').next().unwrap(), c.sasl))
            .collect::<Vec<_>>(),
        [
            ("a", Some(SaslMechanism::Iam)),
            ("b", Some(SaslMechanism::Scram)),
            ("c", None)
        ]
    );
    assert!(listed
        .iter()
        .all(|c: &ClientVpcConnection| c.owner.as_deref() == Some("444455556666")));
    assert_eq!(
        account.broker_hosts(ARN).await,
        Err("GetBootstrapBrokers: ForbiddenException".to_owned())
    );
}

/// MSK Connect's connectors through the SDK's types, every page (100 a page); one being deleted is
/// left out.
#[tokio::test]
async fn connectors_are_read_from_every_page() {
    use aws_sdk_kafkaconnect::operation::list_connectors::ListConnectorsOutput;
    use aws_sdk_kafkaconnect::types::{
        ApacheKafkaClusterDescription, ConnectorState, ConnectorSummary,
        KafkaClusterClientAuthenticationDescription, KafkaClusterClientAuthenticationType,
        KafkaClusterDescription,
    };
    use msk_mtls_rule::aws::ports::ConnectService;
    let summary = |name: &str, state: ConnectorState| {
        ConnectorSummary::builder()
            .connector_name(name)
            .connector_state(state)
            .kafka_cluster(
                KafkaClusterDescription::builder()
                    .apache_kafka_cluster(
                        ApacheKafkaClusterDescription::builder()
                            .bootstrap_servers("b-1.orders.x.c2.kafka.us-east-1.amazonaws.com:9098")
                            .build(),
                    )
                    .build(),
            )
            .kafka_cluster_client_authentication(
                KafkaClusterClientAuthenticationDescription::builder()
                    .authentication_type(KafkaClusterClientAuthenticationType::Iam)
                    .build(),
            )
            .build()
    };
    let first = mock!(aws_sdk_kafkaconnect::Client::list_connectors)
        .match_requests(|request| {
            request.next_token().is_none() && request.max_results() == Some(100)
        })
        .then_output(move || {
            ListConnectorsOutput::builder()
                .connectors(summary("orders-sink", ConnectorState::Running))
                .next_token("p2")
                .build()
        });
    let second = mock!(aws_sdk_kafkaconnect::Client::list_connectors)
        .match_requests(|request| request.next_token() == Some("p2"))
        .then_output(move || {
            ListConnectorsOutput::builder()
                .connectors(summary("going", ConnectorState::Deleting))
                .connectors(summary("orders-source", ConnectorState::Paused))
                .build()
        });
    let client = mock_client!(
        aws_sdk_kafkaconnect,
        RuleMode::Sequential,
        [&first, &second]
    );
    let account = AwsAccount::with_clients(None, None, None).with_kafkaconnect(client);
    let names: Vec<String> = account
        .connectors()
        .await
        .unwrap()
        .into_iter()
        .map(|connector| connector.name)
        .collect();
    assert_eq!(names, ["orders-sink", "orders-source"]);
}

mod audit_reports {
    use aws_sdk_acmpca::operation::create_certificate_authority_audit_report::{
        CreateCertificateAuthorityAuditReportError, CreateCertificateAuthorityAuditReportOutput,
    };
    use aws_sdk_acmpca::operation::describe_certificate_authority_audit_report::DescribeCertificateAuthorityAuditReportOutput;
    use aws_sdk_acmpca::types::error::RequestInProgressException;
    use aws_sdk_acmpca::types::{AuditReportResponseFormat, AuditReportStatus};
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
    use aws_sdk_s3::types::Object;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use msk_mtls_rule::aws::ports::{AuditReports, ReportRequest, ReportStatus};
    use msk_mtls_rule::aws::sdk::AwsAccount;

    use super::CA;

    fn object(key: &str, secs: i64) -> Object {
        Object::builder()
            .key(key)
            .last_modified(aws_sdk_s3::primitives::DateTime::from_secs(secs))
            .build()
    }

    /// The newest JSON report over every page of the CA's prefix: a CSV report (asked for by hand)
    /// is not the one to read, however new.
    #[tokio::test]
    async fn the_newest_json_report_is_found_over_every_page_under_the_cas_prefix() {
        let prefix = "audit-report/11111111-2222-3333-4444-555555555555/";
        let first = mock!(aws_sdk_s3::Client::list_objects_v2)
            .match_requests(move |r| {
                r.bucket() == Some("reports")
                    && r.prefix() == Some(prefix)
                    && r.continuation_token().is_none()
            })
            .then_output(move || {
                ListObjectsV2Output::builder()
                    .contents(object(&format!("{prefix}a.json"), 1_000))
                    .contents(object(&format!("{prefix}b.csv"), 9_000))
                    .next_continuation_token("page-2")
                    .is_truncated(true)
                    .build()
            });
        let second = mock!(aws_sdk_s3::Client::list_objects_v2)
            .match_requests(|r| r.continuation_token() == Some("page-2"))
            .then_output(move || {
                ListObjectsV2Output::builder()
                    .contents(object(&format!("{prefix}c.json"), 5_000))
                    .contents(object(&format!("{prefix}d.json"), 2_000))
                    .build()
            });
        let s3 = mock_client!(aws_sdk_s3, RuleMode::Sequential, [&first, &second]);
        let account = AwsAccount::with_clients(None, None, None).with_s3(s3);
        let newest = account.newest_report("reports", CA).await.unwrap().unwrap();
        assert_eq!(newest.key, format!("{prefix}c.json"));
        assert_eq!(newest.written.secs(), 5_000);
        let refused = account
            .newest_report("reports", "not-a-ca")
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("not a CA"), "{refused}");
    }

    /// A JSON report is asked for; one asked within 30 minutes is shared, not an error; a written
    /// report's place is read from its status.
    #[tokio::test]
    async fn a_report_is_asked_for_in_json_and_one_in_progress_is_shared() {
        let created = mock!(aws_sdk_acmpca::Client::create_certificate_authority_audit_report)
            .match_requests(|r| {
                r.certificate_authority_arn() == Some(CA)
                    && r.s3_bucket_name() == Some("reports")
                    && r.audit_report_response_format() == Some(&AuditReportResponseFormat::Json)
            })
            .then_output(|| {
                CreateCertificateAuthorityAuditReportOutput::builder()
                    .audit_report_id("r-1")
                    .s3_key("audit-report/x/r-1.json")
                    .build()
            });
        let in_progress = mock!(aws_sdk_acmpca::Client::create_certificate_authority_audit_report)
            .then_error(|| {
                CreateCertificateAuthorityAuditReportError::RequestInProgressException(
                    RequestInProgressException::builder()
                        .message("in progress")
                        .build(),
                )
            });
        let written = mock!(aws_sdk_acmpca::Client::describe_certificate_authority_audit_report)
            .match_requests(|r| r.audit_report_id() == Some("r-1"))
            .then_output(|| {
                DescribeCertificateAuthorityAuditReportOutput::builder()
                    .audit_report_status(AuditReportStatus::Success)
                    .s3_bucket_name("reports")
                    .s3_key("audit-report/x/r-1.json")
                    .created_at(aws_sdk_acmpca::primitives::DateTime::from_secs(7_000))
                    .build()
            });
        let failed = mock!(aws_sdk_acmpca::Client::describe_certificate_authority_audit_report)
            .then_output(|| {
                DescribeCertificateAuthorityAuditReportOutput::builder()
                    .audit_report_status(AuditReportStatus::Failed)
                    .build()
            });
        let acmpca = mock_client!(
            aws_sdk_acmpca,
            RuleMode::Sequential,
            [&created, &in_progress, &written, &failed]
        );
        let account = AwsAccount::with_clients(None, Some(acmpca), None);
        assert_eq!(
            account.request_report("reports", CA).await.unwrap(),
            ReportRequest::Requested {
                report_id: "r-1".into()
            }
        );
        assert_eq!(
            account.request_report("reports", CA).await.unwrap(),
            ReportRequest::AlreadyInProgress
        );
        let ReportStatus::Written(report) = account.report_status(CA, "r-1").await.unwrap() else {
            panic!("not written")
        };
        assert_eq!(
            (report.bucket.as_str(), report.key.as_str()),
            ("reports", "audit-report/x/r-1.json")
        );
        assert_eq!(report.written.secs(), 7_000);
        assert_eq!(
            account.report_status(CA, "r-2").await.unwrap(),
            ReportStatus::Failed
        );
    }
}
